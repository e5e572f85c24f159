package io.couponflow.preheat;

import static io.couponflow.preheat.JobRunner.insert;
import static io.couponflow.preheat.JobRunner.liveCoupon;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.config.Env;
import io.couponflow.gateway.Gateway;
import io.couponflow.gateway.GatewayConfig;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway that runs while the job runs warms what the job loaded: its first redemption is a cache
 * hit and reads nothing from MySQL. The gateway's MySQL statements are counted by the JDBC driver
 * itself ({@link CountingQueryInterceptor}, named in the gateway's JDBC URL only).
 */
class GatewayWarmIT {
  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void runningGateway_servesPreheatedCouponsFromItsCache_withoutReadingMySql() throws Exception {
    try (TestDatabase db = TestDatabase.create(GatewayWarmIT.class);
        RedisFixture redis = RedisFixture.create(GatewayWarmIT.class)) {
      insert(db, liveCoupon(1, 100), liveCoupon(2, 100), liveCoupon(3, 100));
      String url = db.settings().url();
      Gateway gateway =
          Gateway.start(
              GatewayConfig.from(
                  Env.of(
                      Map.of(
                          "COUPON_HTTP_PORT",
                          "0",
                          "COUPON_MANAGEMENT_PORT",
                          "0",
                          "COUPON_JDBC_URL",
                          url
                              + (url.contains("?") ? "&" : "?")
                              + "queryInterceptors="
                              + CountingQueryInterceptor.class.getName(),
                          "COUPON_REDIS_URI",
                          TestSettings.redisUri(),
                          "COUPON_REDIS_PREFIX",
                          redis.prefix(),
                          "COUPON_CACHE_REFRESH",
                          "1h"))));
      try {
        MeterRegistry metrics = gateway.registry();
        CountingQueryInterceptor.reset();

        JobRunner.Outcome outcome =
            new JobRunner(
                    db.settings(),
                    TestSettings.redisUri(),
                    redis.prefix(),
                    dir.resolve("s.json.gz"))
                .run("--coupon", "1", "--coupon", "2");
        assertThat(outcome.exitCode()).isZero();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> cacheSize(metrics) == 2 && loads(metrics) == 2);
        double hits = gets(metrics, "hit");
        double misses = gets(metrics, "miss");

        HttpResponse<String> first = redeem(gateway, 1, "SO-1");

        assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
        assertThat(gets(metrics, "hit")).isEqualTo(hits + 1);
        assertThat(gets(metrics, "miss")).isEqualTo(misses);
        assertThat(CountingQueryInterceptor.reads()).isEmpty();

        HttpResponse<String> cold = redeem(gateway, 3, "SO-3");

        assertThat(cold.statusCode()).as(cold.body()).isEqualTo(201);
        assertThat(gets(metrics, "miss")).isEqualTo(misses + 1);
        assertThat(CountingQueryInterceptor.reads())
            .anySatisfy(sql -> assertThat(sql).containsIgnoringCase("from coupon"));
      } finally {
        gateway.stop();
      }
    }
  }

  private HttpResponse<String> redeem(Gateway gateway, long couponId, String order)
      throws Exception {
    String body =
        "{\"couponId\":"
            + couponId
            + ",\"userId\":\"u-1\",\"orderId\":\""
            + order
            + "\",\"orderAmountCents\":1000}";
    return http.send(
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gateway.apiPort() + "/v1/redemptions"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", "key-" + order)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static double cacheSize(MeterRegistry metrics) {
    Gauge size = metrics.find("cache.size").tag("cache", "coupons").gauge();
    return size == null ? -1 : size.value();
  }

  private static double loads(MeterRegistry metrics) {
    FunctionCounter loads =
        metrics
            .find("cache.load")
            .tag("cache", "coupons")
            .tag("result", "success")
            .functionCounter();
    return loads == null ? -1 : loads.count();
  }

  private static double gets(MeterRegistry metrics, String result) {
    return metrics
        .find("cache.gets")
        .tag("cache", "coupons")
        .tag("result", result)
        .functionCounter()
        .count();
  }
}
