package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One redemption's whole journey: HTTP, Redis, the queue, MySQL. */
class EndToEndIT {
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    fx = GatewayFixture.start(EndToEndIT.class);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void redeem_thenReplay_returnsTheSameBodyAndOneRowReachesMySql() {
    fx.createCoupon(1, 10, 1, 5_000, 30_000);

    HttpResponse<String> first = fx.redeem("order-SO-123", 1, "u-1001", "SO-123", 35_000);
    HttpResponse<String> again = fx.redeem("order-SO-123", 1, "u-1001", "SO-123", 35_000);

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(first.body())
        .contains(
            "\"redemptionId\":\"1.SO-123.1\"",
            "\"discountCents\":30000",
            "\"status\":\"ACCEPTED\"");
    assertThat(first.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(
                        fx.db()
                            .queryLong(
                                "SELECT COUNT(*) FROM redemption WHERE redemption_id = '1.SO-123.1'"))
                    .isEqualTo(1));
  }

  @Test
  void twoHundredConcurrentRedemptions_onStockFifty_sellExactlyFifty() throws Exception {
    fx.createCoupon(2, 50, 1, 0, 100);
    ExecutorService pool = Executors.newFixedThreadPool(50);
    List<Future<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      calls.add(pool.submit(() -> fx.redeem("k-" + n, 2, "user-" + n, "order-" + n, 1_000)));
    }
    List<HttpResponse<String>> responses = new ArrayList<>();
    for (Future<HttpResponse<String>> call : calls) {
      responses.add(call.get());
    }
    pool.shutdown();

    Map<Integer, Long> byStatus =
        responses.stream()
            .collect(Collectors.groupingBy(HttpResponse::statusCode, Collectors.counting()));
    assertThat(byStatus).containsExactlyInAnyOrderEntriesOf(Map.of(201, 50L, 409, 150L));
    assertThat(responses.stream().filter(r -> r.statusCode() == 409))
        .allMatch(r -> r.body().contains("\"code\":\"SOLD_OUT\""));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(fx.db().queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 2"))
                    .isEqualTo(50));
    assertThat(fx.get("/v1/coupons/2").body()).contains("\"remainingStock\":0");
    assertThat(
            fx.db().queryLong("SELECT COUNT(DISTINCT user_id) FROM redemption WHERE coupon_id = 2"))
        .isEqualTo(50);
  }

  @Test
  void health_isReadyAndMetricsAreExported() {
    fx.createCoupon(3, 1, 1, 0, 100);
    fx.redeem("m-1", 3, "u-1", "o-1", 1_000);
    fx.redeem("m-2", 3, "u-2", "o-2", 1_000);
    HttpResponse<String> ready =
        fx.send(java.net.http.HttpRequest.newBuilder(fx.management("/health/ready")).GET().build());
    HttpResponse<String> metrics =
        fx.send(java.net.http.HttpRequest.newBuilder(fx.management("/metrics")).GET().build());

    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"redis\":\"UP\"", "\"mysql\":\"UP\"");
    assertThat(metrics.body())
        .contains(
            "couponflow_sink_queue_depth",
            "couponflow_sink_queue_dropped",
            "cache_gets_total{cache=\"coupons\"",
            "resilience4j_circuitbreaker_state{name=\"redis\",state=\"closed\"} 1.0",
            "resilience4j_circuitbreaker_state{name=\"mysql\",state=\"closed\"} 1.0",
            "resilience4j_circuitbreaker_state{name=\"mysql-lookup\",state=\"closed\"} 1.0",
            "netty_allocator_memory_used",
            "jvm_memory_used_bytes",
            "couponflow_redis_calls_seconds_bucket{call=\"redeem\"")
        .containsPattern(
            "couponflow_http_requests_seconds_count\\{outcome=\"ACCEPTED\",route=\"redeem\",status=\"201\"\\} [1-9]")
        .containsPattern(
            "couponflow_http_requests_seconds_count\\{outcome=\"SOLD_OUT\",route=\"redeem\",status=\"409\"\\} [1-9]")
        .containsPattern(
            "couponflow_http_requests_seconds_bucket\\{outcome=\"ACCEPTED\",route=\"redeem\",status=\"201\",le=");
  }
}
