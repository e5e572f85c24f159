package io.couponflow.gateway.faults;

import io.couponflow.gateway.GatewayFixture;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Redemption requests sent over loopback HTTP with bounded concurrency, and what came of each: a
 * status and body, or a lost answer (the connection broke or was refused). Request {@code i} has
 * key {@code k-i}, user {@code u-(i mod users)} and order {@code SO-i}, except that every 40th
 * request reuses the order of the one before under its own key, so some answers are 409
 * ORDER_ALREADY_REDEEMED.
 *
 * <p>Thread-safety: {@link #run} from one thread; answers are recorded from the client's threads.
 */
final class Load {
  private static final Pattern REDEMPTION_ID = Pattern.compile("\"redemptionId\":\"([^\"]+)\"");

  /** One request's answer; {@code status} 0 when the answer was lost. */
  record Answer(int status, String body) {
    boolean lost() {
      return status == 0;
    }

    String redemptionId() {
      Matcher m = REDEMPTION_ID.matcher(body);
      if (!m.find()) {
        throw new IllegalStateException("no redemptionId in " + body);
      }
      return m.group(1);
    }
  }

  private final long couponId;
  private final int users;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final Map<Integer, Answer> answers = new HashMap<>();
  private final AtomicInteger answered = new AtomicInteger();

  Load(long couponId, int users) {
    this.couponId = couponId;
    this.users = users;
  }

  /**
   * Sends requests {@code 0..count-1} to {@code api}, at most {@code concurrency} at once, pausing
   * {@code pauseEvery} requests for {@code pause} to hold a rate. Calls {@code progress} with the
   * number of answers (lost ones included) after each answer. Returns when every request has its
   * answer.
   */
  void run(
      URI api, int count, int concurrency, int pauseEvery, Duration pause, IntConsumer progress)
      throws InterruptedException {
    Semaphore slots = new Semaphore(concurrency);
    List<CompletableFuture<?>> calls = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      slots.acquire();
      int n = i;
      calls.add(
          http.sendAsync(request(api, n), HttpResponse.BodyHandlers.ofString())
              .handle(
                  (response, failure) -> {
                    record(
                        n,
                        failure == null
                            ? new Answer(response.statusCode(), response.body())
                            : new Answer(0, String.valueOf(failure)));
                    slots.release();
                    progress.accept(answered.incrementAndGet());
                    return null;
                  }));
      if (pauseEvery > 0 && (i + 1) % pauseEvery == 0) {
        Thread.sleep(pause.toMillis());
      }
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
  }

  /** Sends every request whose answer was lost again, one by one, with the same key and body. */
  void retryLost(URI api) throws Exception {
    for (int i : lostRequests()) {
      HttpResponse<String> r = http.send(request(api, i), HttpResponse.BodyHandlers.ofString());
      record(i, new Answer(r.statusCode(), r.body()));
    }
  }

  private HttpRequest request(URI api, int i) {
    int order = i % 40 == 39 ? i - 1 : i;
    String body = GatewayFixture.redeemBody(couponId, "u-" + (i % users), "SO-" + order, 5000);
    return HttpRequest.newBuilder(api.resolve("/v1/redemptions"))
        .timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", "k-" + i)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
  }

  private synchronized void record(int request, Answer answer) {
    answers.put(request, answer);
  }

  synchronized Map<Integer, Answer> answers() {
    return Map.copyOf(answers);
  }

  synchronized List<Integer> lostRequests() {
    return answers.entrySet().stream()
        .filter(e -> e.getValue().lost())
        .map(Map.Entry::getKey)
        .sorted()
        .toList();
  }

  /** The redemption ids of every 201. */
  synchronized List<String> accepted() {
    return answers.values().stream()
        .filter(a -> a.status() == 201)
        .map(Answer::redemptionId)
        .sorted()
        .toList();
  }

  /** How many answers had each status (0 for lost). */
  synchronized Map<Integer, Long> byStatus() {
    Map<Integer, Long> counts = new HashMap<>();
    answers.values().forEach(a -> counts.merge(a.status(), 1L, Long::sum));
    return counts;
  }
}
