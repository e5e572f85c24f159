package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.cluster.ClusterCoupons;
import io.couponflow.model.Coupon;
import io.couponflow.model.RedemptionId;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library unchanged on a three-master Redis Cluster of private servers: loaded on every master,
 * and every function called for coupons whose keys live on different masters.
 */
class ClusterIT {
  private static PrivateRedisCluster cluster;
  private static RedisFixture redis;

  @BeforeAll
  static void startCluster() {
    cluster = PrivateRedisCluster.launch(3);
    redis = RedisFixture.create(cluster.uri(), ClusterIT.class);
  }

  @AfterAll
  static void stopCluster() {
    if (redis != null) {
      redis.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everyFunction_worksForCouponsOnEveryMaster() {
    CouponFunctions functions = redis.functions();
    assertThat(redis.redis().isCluster()).isTrue();
    assertThat(join(redis.redis().onEveryMaster(CouponLibrary::installedVersion)))
        .containsExactly(CouponLibrary.version(), CouponLibrary.version(), CouponLibrary.version());

    List<Long> coupons = ClusterCoupons.onePerMaster(cluster, redis.prefix(), 1);
    assertThat(coupons).hasSize(3);

    for (long id : coupons) {
      Coupon c = coupon(id).stock(3).limit(1).buckets(4).build();
      assertThat(join(functions.load(c, 0, 0, Duration.ZERO)))
          .isEqualTo(new LoadOutcome.Created(3, true));
      RedeemOutcome.Accepted a =
          (RedeemOutcome.Accepted)
              join(
                  functions.redeem(
                      new RedeemRequest(id, "key-1", "u-1", "SO-1", 35_000), c.buckets()));
      assertThat(join(functions.redeem(new RedeemRequest(id, "key-1", "u-1", "SO-1", 35_000), 4)))
          .isEqualTo(new RedeemOutcome.Replayed(a.redemption()));
      RedemptionId rid = a.redemption().redemptionId();
      assertThat(join(functions.get(rid, 4))).isEqualTo(new RedemptionLookup.Found(a.redemption()));
      assertThat(join(functions.reverse(rid, 4, "x"))).isInstanceOf(ReverseOutcome.Reversed.class);
      assertThat(join(functions.setStatus(id, io.couponflow.model.CouponStatus.PAUSED, 0)))
          .isPresent();
      CouponInspection inspection = join(functions.inspect(id)).orElseThrow();
      assertThat(inspection.pending()).isEqualTo(2);
      assertThat(inspection.fenced()).isFalse();
      assertThat(inspection.coupon().accepted()).isZero();
      assertThat(inspection.coupon().reversed()).isEqualTo(1);
      assertThat(join(functions.outboxRead(id, Duration.ZERO, 10, null))).hasSize(2);
    }
    assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(10)))
        .containsExactlyInAnyOrderElementsOf(coupons);

    for (long id : coupons) {
      List<String> ids =
          join(functions.outboxRead(id, Duration.ZERO, 10, null)).stream()
              .map(OutboxEntry::id)
              .toList();
      assertThat(join(functions.outboxAck(id, ids))).isEqualTo(2);
    }
    assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(10))).isEmpty();
  }
}
