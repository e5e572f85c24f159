package io.couponflow.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.testkit.PrivateMariaDb;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * COUPON_DURABILITY=mysql against a private MariaDB: a 201 is sent only once MySQL holds its row;
 * while MySQL is down an accepted redemption is answered 503, its stock stays taken, and the
 * client's retry with the same key gets the 201 once MySQL is back.
 */
class MySqlDurabilityIT {
  private static PrivateMariaDb mariadb;
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    mariadb = PrivateMariaDb.launch();
    fx =
        GatewayFixture.builder(MySqlDurabilityIT.class)
            .mysql(mariadb.jdbc("mysql"))
            .env(
                Map.of(
                    "COUPON_DURABILITY", "mysql",
                    "COUPON_DURABILITY_WAIT", "1s",
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
  void each201_hasItsRowAlready_andWhileMySqlIsDown_acceptsAre503UntilRetriedAfterItReturns() {
    fx.createCoupon(1, 100, 1, 0, 100);
    for (int i = 0; i < 20; i++) {
      HttpResponse<String> r = fx.redeem("k-" + i, 1, "u-" + i, "o-" + i, 1_000);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      assertThat(rowsOf("o-" + i)).as("the row of a 201, when it is answered").isEqualTo(1);
    }

    mariadb.kill();
    HttpResponse<String> down = fx.redeem("k-down", 1, "u-down", "o-down", 1_000);
    HttpResponse<String> replayDown = fx.redeem("k-3", 1, "u-3", "o-3", 1_000);

    assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
    assertThat(down.body()).contains("\"UNAVAILABLE\"", "same Idempotency-Key");
    assertThat(down.headers().firstValue("Retry-After")).contains("1");
    assertThat(replayDown.statusCode()).isEqualTo(503);
    assertThat(fx.get("/v1/coupons/1").body()).contains("\"remainingStock\":79");

    mariadb.start();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> fx.redeem("k-down", 1, "u-down", "o-down", 1_000).statusCode() == 201);
    HttpResponse<String> retried = fx.redeem("k-down", 1, "u-down", "o-down", 1_000);

    assertThat(retried.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(rowsOf("o-down")).isEqualTo(1);
    assertThat(fx.redeem("k-3", 1, "u-3", "o-3", 1_000).statusCode()).isEqualTo(201);
    fx.awaitOutboxDrained();
    assertThat(fx.db().queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 1"))
        .isEqualTo(21);
    assertThat(fx.db().queryLong("SELECT COUNT(*) FROM dead_letter")).isZero();
  }

  private static long rowsOf(String order) {
    return fx.db()
        .queryLong(
            "SELECT COUNT(*) FROM redemption WHERE coupon_id = 1 AND order_id = '" + order + "'");
  }
}
