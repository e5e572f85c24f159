package io.couponflow.gateway.faults;

import io.couponflow.gateway.GatewayFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A flash sale of one coupon seen from its clients: request {@code i} redeems with key {@code k-i},
 * user {@code u-i} and order {@code SO-i}, sent in the background with bounded concurrency until
 * stopped, and every answer is kept (status 0 when it was lost).
 *
 * <p>Thread-safety: {@link #start} and {@link #stop} from one thread; answers are recorded from the
 * client's threads and read from any.
 */
public final class Sale implements AutoCloseable {
  private static final Pattern REDEMPTION_ID = Pattern.compile("\"redemptionId\":\"([^\"]+)\"");

  /** One answer; {@code status} 0 when it was lost. */
  public record Answer(int status, String body, boolean replayed, long atNanos) {
    public String redemptionId() {
      Matcher m = REDEMPTION_ID.matcher(body);
      if (!m.find()) {
        throw new IllegalStateException("no redemptionId in " + body);
      }
      return m.group(1);
    }

    public boolean code(String code) {
      return body.contains("\"code\":\"" + code + "\"");
    }
  }

  private final URI api;
  private final long couponId;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final Map<Integer, Answer> answers = new TreeMap<>();
  private final AtomicBoolean running = new AtomicBoolean();
  private Thread sender;

  public Sale(URI api, long couponId) {
    this.api = api;
    this.couponId = couponId;
  }

  /** Starts sending in the background, at most {@code concurrency} requests at once. */
  public void start(int concurrency) {
    running.set(true);
    sender =
        new Thread(
            () -> {
              Semaphore slots = new Semaphore(concurrency);
              List<CompletableFuture<?>> calls = new ArrayList<>();
              for (int i = 0; running.get(); i++) {
                slots.acquireUninterruptibly();
                int n = i;
                calls.add(
                    send("k-" + n, "u-" + n, "SO-" + n)
                        .thenAccept(
                            answer -> {
                              record(n, answer);
                              slots.release();
                            }));
              }
              CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
            },
            "sale-" + couponId);
    sender.start();
  }

  /** Stops sending and waits for every answer. */
  public void stop() {
    running.set(false);
    if (sender != null) {
      try {
        sender.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** One request, answered (never throws: a lost answer has status 0). */
  public CompletableFuture<Answer> send(String key, String user, String order) {
    HttpRequest request =
        HttpRequest.newBuilder(api.resolve("/v1/redemptions"))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    GatewayFixture.redeemBody(couponId, user, order, 5000)))
            .build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .handle(
            (response, failure) ->
                failure == null
                    ? new Answer(
                        response.statusCode(),
                        response.body(),
                        response.headers().firstValue("Idempotent-Replayed").isPresent(),
                        System.nanoTime())
                    : new Answer(0, String.valueOf(failure), false, System.nanoTime()));
  }

  /** One request, sent again after each 503 (as a client honouring Retry-After), for 30 s. */
  public Answer sendUntilDecided(String key, String user, String order) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      Answer answer = send(key, user, order).join();
      if (answer.status() != 503 || System.nanoTime() > deadline) {
        return answer;
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return answer;
      }
    }
  }

  private synchronized void record(int request, Answer answer) {
    answers.put(request, answer);
  }

  public synchronized Map<Integer, Answer> answers() {
    return Map.copyOf(answers);
  }

  /** The requests whose answer satisfies {@code test}, in order. */
  public synchronized List<Integer> requests(IntPredicate status) {
    return answers.entrySet().stream()
        .filter(e -> status.test(e.getValue().status()))
        .map(Map.Entry::getKey)
        .toList();
  }

  public synchronized long count(IntPredicate status) {
    return answers.values().stream().filter(a -> status.test(a.status())).count();
  }

  public synchronized long count(String code) {
    return answers.values().stream().filter(a -> a.code(code)).count();
  }

  /** Waits until {@code n} requests were answered 201, at most {@code timeout}. */
  public void awaitAccepted(long n, Duration timeout) {
    awaitCount(() -> count(s -> s == 201) >= n, timeout, n + " accepted");
  }

  /** Waits until {@code n} requests were answered with {@code code}. */
  public void awaitCode(String code, long n, Duration timeout) {
    awaitCount(() -> count(code) >= n, timeout, n + " answers " + code);
  }

  private void awaitCount(java.util.function.BooleanSupplier done, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no " + what + " within " + timeout + "; answers: " + summary());
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted");
      }
    }
  }

  /** How many answers had each status and code, for messages and logs. */
  public synchronized String summary() {
    Map<String, Integer> counts = new TreeMap<>();
    Pattern code = Pattern.compile("\"code\":\"([A-Z_]+)\"");
    for (Answer a : answers.values()) {
      Matcher m = code.matcher(a.body());
      counts.merge(a.status() + (m.find() ? " " + m.group(1) : ""), 1, Integer::sum);
    }
    return counts.toString();
  }
}
