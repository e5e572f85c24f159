package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Redis that lost a coupon with redemptions (a restart without AOF, a flush): the gateway puts
 * the coupon back from MySQL with its records, so its rules still hold.
 */
class RedisLossIT {
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    fx = GatewayFixture.start(RedisLossIT.class);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void redeem_afterRedisLostTheCoupon_stillEnforcesTheUsersLimitAndReplaysOldKeys() {
    fx.createCoupon(1, 10, 1, 0, 100);
    HttpResponse<String> first = fx.redeem("key-1", 1, "u-1", "SO-1", 1_000);
    assertThat(first.statusCode()).isEqualTo(201);
    fx.awaitOutboxDrained();
    for (String key : fx.redis().keys()) {
      fx.redis().redis().commands().del(key).toCompletableFuture().join();
    }

    HttpResponse<String> sameUser = fx.redeem("key-2", 1, "u-1", "SO-2", 1_000);
    HttpResponse<String> replay = fx.redeem("key-1", 1, "u-1", "SO-1", 1_000);

    assertThat(sameUser.statusCode()).isEqualTo(409);
    assertThat(sameUser.body()).contains("\"code\":\"USER_LIMIT_REACHED\"");
    assertThat(replay.statusCode()).isEqualTo(201);
    assertThat(replay.body()).isEqualTo(first.body());
    assertThat(fx.get("/v1/coupons/1").body()).contains("\"remainingStock\":9");
  }
}
