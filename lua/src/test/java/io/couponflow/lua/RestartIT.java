package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * A Redis that restarts under the library's callers: with AOF it comes back with the library and
 * the data; without persistence it comes back empty and the next call loads the library again.
 */
class RestartIT {

  private static RedeemRequest request(Coupon c, String n) {
    return new RedeemRequest(c.couponId(), "key-" + n, "u-" + n, "SO-" + n, 35_000);
  }

  private static void awaitReconnected(RedisFixture redis) {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(() -> "PONG".equals(join(redis.redis().commands().ping())));
  }

  private static int installedVersion(RedisFixture redis) {
    return join(CouponLibrary.installedVersion(redis.redis().commands()));
  }

  @Test
  void restartWithAof_keepsLibraryAndState_andFencesTheCouponUntilItIsRepaired() {
    try (PrivateRedis server = PrivateRedis.launch(true);
        RedisFixture redis = RedisFixture.create(server.uri(), RestartIT.class)) {
      CouponFunctions functions = redis.functions();
      Coupon c = coupon(1).stock(5).limit(5).build();
      join(functions.load(c, 0, 0, Duration.ZERO));
      RedeemOutcome.Accepted first =
          (RedeemOutcome.Accepted) join(functions.redeem(request(c, "1"), c.buckets()));

      server.restart();
      awaitReconnected(redis);

      // A restarted Redis may have lost the tail of what it acknowledged (appendfsync everysec):
      // the coupon decides nothing until it is repaired from MySQL (core's CouponRepair).
      assertThat(installedVersion(redis)).isEqualTo(CouponLibrary.version());
      assertThat(join(functions.redeem(request(c, "1"), c.buckets())))
          .isEqualTo(new RedeemOutcome.Fenced());
      assertThat(join(functions.redeem(request(c, "2"), c.buckets())))
          .isEqualTo(new RedeemOutcome.Fenced());
      assertThat(join(functions.get(first.redemption().redemptionId(), c.buckets())))
          .isEqualTo(new RedemptionLookup.Fenced());
      LiveCoupon live = join(functions.coupon(c.couponId())).orElseThrow();
      assertThat(live.stock()).isEqualTo(4);
      assertThat(live.accepted()).isEqualTo(1);
      assertThat(join(functions.inspect(c.couponId())).orElseThrow().pendingAccepts()).isEqualTo(1);
    }
  }

  @Test
  void restartEmpty_nextCallsReloadTheLibraryThemselves_evenManyAtOnce() {
    try (PrivateRedis server = PrivateRedis.launch(false);
        RedisFixture redis = RedisFixture.create(server.uri(), RestartIT.class)) {
      CouponFunctions functions = redis.functions();
      Coupon c = coupon(1).stock(300).limit(1).build();
      join(functions.load(c, 0, 0, Duration.ZERO));
      Redemption before =
          ((RedeemOutcome.Accepted) join(functions.redeem(request(c, "0"), c.buckets())))
              .redemption();
      assertThat(before.redemptionId().generation()).isEqualTo(1);

      server.restart();
      awaitReconnected(redis);
      assertThat(installedVersion(redis)).isZero();

      List<CompletableFuture<RedeemOutcome>> calls = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        calls.add(functions.redeem(request(c, Integer.toString(i)), c.buckets()));
      }
      calls.forEach(
          f ->
              assertThat(join(f))
                  .isEqualTo(new RedeemOutcome.Rejected(Rejection.COUPON_NOT_FOUND)));
      assertThat(installedVersion(redis)).isEqualTo(CouponLibrary.version());

      assertThat(join(functions.load(c, 1, 0, Duration.ZERO)))
          .isEqualTo(new LoadOutcome.Created(299, true));
      calls.clear();
      for (int i = 1; i <= 200; i++) {
        calls.add(functions.redeem(request(c, Integer.toString(i)), c.buckets()));
      }
      calls.forEach(f -> assertThat(join(f)).isInstanceOf(RedeemOutcome.Accepted.class));
      assertThat(join(functions.coupon(c.couponId())).orElseThrow().stock()).isEqualTo(99);
    }
  }

  @Test
  void restartEmpty_readOnlyAndOutboxCallsReloadTheLibraryToo() {
    try (PrivateRedis server = PrivateRedis.launch(false);
        RedisFixture redis = RedisFixture.create(server.uri(), RestartIT.class)) {
      CouponFunctions functions = redis.functions();

      server.restart();
      awaitReconnected(redis);
      assertThat(installedVersion(redis)).isZero();

      assertThat(join(functions.outboxAck(1, List.of("1-1")))).isZero();
      assertThat(installedVersion(redis)).isEqualTo(CouponLibrary.version());
      join(redis.redis().commands().functionFlush(io.lettuce.core.FlushMode.SYNC));
      assertThat(join(functions.outboxRead(1, Duration.ZERO, 10, null))).isEmpty();
      join(redis.redis().commands().functionFlush(io.lettuce.core.FlushMode.SYNC));
      assertThat(join(functions.inspect(1))).isEmpty();
      assertThat(installedVersion(redis)).isEqualTo(CouponLibrary.version());
    }
  }

  @Test
  void redisDown_everyCallFailsAsUnavailable_andWorksAgainAfterRestart() {
    try (PrivateRedis server = PrivateRedis.launch(true);
        RedisFixture redis = RedisFixture.create(server.uri(), RestartIT.class)) {
      CouponFunctions functions = redis.functions();
      Coupon c = coupon(1).stock(5).build();
      join(functions.load(c, 0, 0, Duration.ZERO));

      server.kill();

      List<CompletableFuture<?>> calls =
          List.of(
              functions.redeem(request(c, "1"), c.buckets()),
              functions.get(new io.couponflow.model.RedemptionId(1, "SO-1", 1), c.buckets()),
              functions.reverse(new io.couponflow.model.RedemptionId(1, "SO-1", 1), 1, null),
              functions.load(c, 0, 0, Duration.ZERO),
              functions.coupon(1),
              functions.inspect(1),
              functions.records(1, c.buckets()),
              functions.fence(1),
              functions.outboxRead(1, Duration.ZERO, 10, null),
              functions.outboxAck(1, List.of("1-1")));
      for (CompletableFuture<?> call : calls) {
        assertThat(call)
            .failsWithin(Duration.ofSeconds(10))
            .withThrowableThat()
            .havingCause()
            .isInstanceOf(RedisReplies.RedisUnavailableException.class);
      }

      server.start();
      awaitReconnected(redis);
      assertThat(join(functions.redeem(request(c, "1"), c.buckets())))
          .isEqualTo(new RedeemOutcome.Fenced());
      assertThat(join(functions.inspect(1)).orElseThrow().fenced()).isTrue();
    }
  }
}
