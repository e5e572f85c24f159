package io.couponflow.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.testkit.PrivateRedis;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Redis connections reset under load (a TCP RST from a proxy in front of a private Redis, with
 * commands in flight): every answer is 201, 409 or 503 with Retry-After, never a 500, and the
 * {@code redis} circuit breaker counts each transport failure as a failed call.
 */
class RedisResetIT {
  private static final int RESETS = 8;
  private static PrivateRedis redis;
  private static ResettingProxy proxy;
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    redis = PrivateRedis.launch();
    proxy = new ResettingProxy(Integer.parseInt(redis.uri().replaceAll(".*:", "")));
    fx =
        GatewayFixture.builder(RedisResetIT.class)
            .redis(proxy.uri())
            .env(Map.of("COUPON_BREAKER_OPEN_FOR", "200ms", "COUPON_CACHE_REFRESH", "1h"))
            .start();
    fx.createCoupon(1, 100_000, 100_000, 0, 100);
    assertThat(fx.redeem("warm", 1, "u-warm", "o-warm", 1_000).statusCode()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    try {
      fx.close();
    } finally {
      proxy.close();
      redis.close();
    }
  }

  @Test
  void redisReset_underLoad_answersOnly201_409Or503_andTheBreakerCountsTheFailures()
      throws Exception {
    Map<String, LongAdder> answers = new ConcurrentHashMap<>();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger n = new AtomicInteger();
    ExecutorService clients = Executors.newFixedThreadPool(4);
    List<Future<?>> load = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      load.add(
          clients.submit(
              () -> {
                while (!stop.get()) {
                  int i = n.incrementAndGet();
                  HttpResponse<String> r = fx.redeem("k-" + i, 1, "u-" + i, "o-" + i, 1_000);
                  String kind = r.statusCode() + " " + code(r.body());
                  if (r.statusCode() == 503) {
                    assertThat(r.headers().firstValue("Retry-After")).contains("1");
                    kind += r.body().contains("cannot be decided") ? " (redis)" : " (breaker)";
                  }
                  answers.computeIfAbsent(kind, k -> new LongAdder()).increment();
                }
              }));
    }
    int reset = 0;
    try {
      for (int i = 0; i < RESETS; i++) {
        Thread.sleep(300);
        reset += proxy.reset(100);
      }
      Thread.sleep(300);
    } finally {
      stop.set(true);
      for (Future<?> f : load) {
        f.get(30, TimeUnit.SECONDS);
      }
      clients.shutdown();
    }
    String metrics = fx.metrics();
    double failed = breakerCalls(metrics, "failed");
    double successful = breakerCalls(metrics, "successful");
    double notPermitted = notPermitted(metrics);
    Map<String, Long> seen = new TreeMap<>();
    answers.forEach((k, v) -> seen.put(k, v.sum()));
    System.out.printf(
        "redis reset x%d (%d connections reset): answers %s; redis breaker: %,.0f successful,"
            + " %,.0f failed, %,.0f not permitted%n",
        RESETS, reset, seen, successful, failed, notPermitted);

    assertThat(reset).isGreaterThanOrEqualTo(RESETS);
    assertThat(seen.keySet())
        .allMatch(
            k -> k.startsWith("201 ") || k.startsWith("409 SOLD_OUT") || k.startsWith("503 "));
    long redis503 = seen.getOrDefault("503 UNAVAILABLE (redis)", 0L);
    assertThat(redis503).as("the resets failed requests in flight").isPositive();
    assertThat(failed)
        .as("every transport failure is a failed call")
        .isGreaterThanOrEqualTo(redis503);
    await().atMost(Duration.ofSeconds(10)).until(() -> fx.get("/v1/coupons/1").statusCode() == 200);
  }

  private static String code(String body) {
    Matcher m = Pattern.compile("\"code\":\"([A-Z_]+)\"").matcher(body);
    return m.find() ? m.group(1) : "";
  }

  private static double breakerCalls(String metrics, String kind) {
    Matcher m =
        Pattern.compile(
                "resilience4j_circuitbreaker_calls_seconds_count\\{kind=\""
                    + kind
                    + "\",name=\"redis\"[^}]*\\} (\\S+)")
            .matcher(metrics);
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  private static double notPermitted(String metrics) {
    Matcher m =
        Pattern.compile(
                "resilience4j_circuitbreaker_not_permitted_calls_total\\{[^}]*name=\"redis\"[^}]*\\} (\\S+)")
            .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
