package io.couponflow.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.testkit.PrivateMariaDb;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * MySQL fails open: with a private MariaDB killed, redemptions of a coupon Redis holds are still
 * accepted and looked up; only a coupon neither tier knows is 503 (never 404). When MariaDB comes
 * back, every accepted redemption reaches it.
 */
class MySqlOutageIT {
  private static PrivateMariaDb mariadb;
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    mariadb = PrivateMariaDb.launch();
    fx =
        GatewayFixture.builder(MySqlOutageIT.class)
            .mysql(mariadb.jdbc("mysql"))
            .env(
                Map.of(
                    "COUPON_JDBC_TIMEOUT", "500ms",
                    "COUPON_SWEEP_INTERVAL", "300ms",
                    "COUPON_SWEEP_MIN_AGE", "300ms"))
            .start();
  }

  @AfterAll
  static void stop() {
    fx.close();
    mariadb.close();
  }

  @Test
  void mysqlKilled_redemptionsGoOn_andAllReachMySqlWhenItReturns() {
    fx.createCoupon(1, 100, 100, 0, 100);
    assertThat(fx.redeem("k-0", 1, "u-0", "o-0", 1_000).statusCode()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(10)).until(() -> rows() == 1);

    mariadb.kill();
    for (int i = 1; i <= 20; i++) {
      HttpResponse<String> r = fx.redeem("k-" + i, 1, "u-" + i, "o-" + i, 1_000);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    HttpResponse<String> replay = fx.redeem("k-7", 1, "u-7", "o-7", 1_000);
    HttpResponse<String> lookup = fx.get("/v1/redemptions/1.o-20.1");
    HttpResponse<String> coupon = fx.get("/v1/coupons/1");
    HttpResponse<String> unknown = fx.redeem("k-x", 2, "u-x", "o-x", 1_000);
    HttpResponse<String> ready =
        fx.send(HttpRequest.newBuilder(fx.management("/health/ready")).build());

    assertThat(replay.statusCode()).isEqualTo(201);
    assertThat(replay.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(lookup.statusCode()).isEqualTo(200);
    assertThat(coupon.body()).contains("\"remainingStock\":79");
    assertThat(unknown.statusCode()).isEqualTo(503);
    assertThat(unknown.body()).contains("\"UNAVAILABLE\"");
    assertThat(unknown.headers().firstValue("Retry-After")).contains("1");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(ready.body()).contains("\"mysql\":\"DOWN\"", "\"sink\":\"DEGRADED\"");

    mariadb.start();

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> rowsOrMinusOne() == 21);
    assertThat(
            fx.db()
                .queryLong(
                    "SELECT COUNT(DISTINCT order_id) FROM redemption WHERE coupon_id = 1"
                        + " AND status = 'ACCEPTED'"))
        .isEqualTo(21);
    fx.awaitOutboxDrained();
  }

  private static long rows() {
    return fx.db().queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 1");
  }

  private static long rowsOrMinusOne() {
    try {
      return rows();
    } catch (RuntimeException e) {
      return -1;
    }
  }
}
