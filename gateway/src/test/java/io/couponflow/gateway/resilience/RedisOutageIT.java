package io.couponflow.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.testkit.PrivateRedis;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Redis fails closed: with a private Redis frozen or killed, the gateway answers 503 UNAVAILABLE
 * with Retry-After, fast, and accepts nothing; after Redis returns (empty, as after a crash without
 * AOF) it reloads what it needs and accepts again. Also the overload row of the status table.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisOutageIT {
  private static PrivateRedis redis;
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    redis = PrivateRedis.launch();
    fx =
        GatewayFixture.builder(RedisOutageIT.class)
            .redis(redis.uri())
            .env(
                Map.of(
                    "COUPON_HTTP_MAX_IN_FLIGHT", "2",
                    "COUPON_REDIS_TIMEOUT", "2s",
                    "COUPON_BREAKER_OPEN_FOR", "500ms",
                    "COUPON_SWEEP_INTERVAL", "200ms",
                    "COUPON_SWEEP_MIN_AGE", "200ms"))
            .start();
    fx.createCoupon(1, 100, 100, 0, 100);
  }

  @AfterAll
  static void stop() {
    fx.close();
    redis.close();
  }

  @Test
  @Order(1)
  void overload_beyondMaxInFlight_answers503WithRetryAfter() throws Exception {
    assertThat(fx.redeem("warm", 1, "u-warm", "o-warm", 1_000).statusCode()).isEqualTo(201);
    redis.freeze();
    try {
      List<CompletableFuture<HttpResponse<String>>> stuck =
          List.of(
              fx.http().sendAsync(get("/v1/coupons/1"), HttpResponse.BodyHandlers.ofString()),
              fx.http().sendAsync(get("/v1/coupons/1"), HttpResponse.BodyHandlers.ofString()));
      Thread.sleep(300);

      HttpResponse<String> third = fx.get("/v1/coupons/1");

      assertThat(third.statusCode()).isEqualTo(503);
      assertThat(third.body()).contains("\"UNAVAILABLE\"", "too many requests");
      assertThat(third.headers().firstValue("Retry-After")).contains("1");
      for (CompletableFuture<HttpResponse<String>> s : stuck) {
        assertThat(s.join().statusCode()).isEqualTo(503);
      }
    } finally {
      redis.thaw();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> fx.get("/v1/coupons/1").statusCode() == 200);
  }

  @Test
  @Order(2)
  void redisKilled_answers503Fast_acceptsNothing_thenRecovers() {
    assertThat(fx.redeem("before", 1, "u-0", "o-0", 1_000).statusCode()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(10)).until(() -> rows() == 2);

    redis.kill();
    long slowest = 0;
    for (int i = 1; i <= 30; i++) {
      long start = System.nanoTime();
      HttpResponse<String> r = fx.redeem("down-" + i, 1, "u-" + i, "o-" + i, 1_000);
      slowest = Math.max(slowest, (System.nanoTime() - start) / 1_000_000);

      assertThat(r.statusCode()).isEqualTo(503);
      assertThat(r.body()).contains("\"UNAVAILABLE\"");
      assertThat(r.headers().firstValue("Retry-After")).contains("1");
    }
    HttpResponse<String> coupon = fx.get("/v1/coupons/1");
    HttpResponse<String> ready =
        fx.send(HttpRequest.newBuilder(fx.management("/health/ready")).build());

    assertThat(slowest).isLessThan(300);
    assertThat(coupon.statusCode()).isEqualTo(503);
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.body()).contains("\"redis\":\"DOWN\"");
    assertThat(fx.metrics())
        .containsPattern(
            "resilience4j_circuitbreaker_state\\{[^}]*name=\"redis\"[^}]*state=\"open\"[^}]*\\} 1.0");
    assertThat(rows()).isEqualTo(2);

    redis.start();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> fx.redeem("after", 1, "u-after", "o-after", 1_000).statusCode() == 201);
    assertThat(fx.get("/v1/coupons/1").body()).contains("\"remainingStock\":97");
    await().atMost(Duration.ofSeconds(10)).until(() -> rows() == 3);
  }

  private static long rows() {
    return fx.db().queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 1");
  }

  private static HttpRequest get(String path) {
    return HttpRequest.newBuilder(fx.api(path)).GET().build();
  }
}
