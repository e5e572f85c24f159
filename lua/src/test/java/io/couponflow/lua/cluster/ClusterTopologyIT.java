package io.couponflow.lua.cluster;

import static io.couponflow.lua.cluster.ClusterCoupons.coupon;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.Coupon;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import io.lettuce.core.cluster.SlotHash;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A master added to a running cluster gets the library, and coupons resharded onto it keep working
 * for a process that was already connected.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ClusterTopologyIT {
  private static final int MOVED_SLOTS = 50;

  private static PrivateRedisCluster cluster;
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void startCluster() {
    cluster = PrivateRedisCluster.launch(3);
    redis = RedisFixture.create(cluster.uri(), ClusterTopologyIT.class);
    functions = redis.functions();
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
  void masterAddedWithRedisCli_hasTheLibrary_andServesResharedCoupons() {
    PrivateRedis source = cluster.ownerOf(0);
    List<Coupon> moving = liveCouponsInFirstSlotsOf(source, 1_000);

    PrivateRedis added = cluster.addMaster();
    assertThat(cluster.cli(added, "FCALL_RO", "cf_version", "0").trim())
        .isEqualTo(Integer.toString(CouponLibrary.version()));
    cluster.reshard(source, added, MOVED_SLOTS);

    assertRedeemsContinueOn(added, moving);
  }

  @Test
  void masterJoinedBare_getsTheLibraryOnTheFirstCallThatNeedsIt() {
    PrivateRedis source = cluster.ownerOf(16_383);
    List<Coupon> moving = liveCouponsInFirstSlotsOf(source, 2_000);

    PrivateRedis added = cluster.addBareMaster();
    assertThat(cluster.cli(added, "FUNCTION", "LIST").trim()).isEmpty();
    cluster.reshard(source, added, MOVED_SLOTS);

    assertRedeemsContinueOn(added, moving);
    assertThat(cluster.cli(added, "FCALL_RO", "cf_version", "0").trim())
        .isEqualTo(Integer.toString(CouponLibrary.version()));
  }

  /**
   * Three coupons in the lowest slots of a master (the ones redis-cli reshards first), redeemed
   * once.
   */
  private static List<Coupon> liveCouponsInFirstSlotsOf(PrivateRedis source, long firstId) {
    Set<Integer> first = new TreeSet<>(cluster.slotsOf(source).subList(0, MOVED_SLOTS));
    List<Coupon> coupons = new ArrayList<>();
    for (long id = firstId; coupons.size() < 3; id++) {
      if (first.contains(SlotHash.getSlot(CouponKeys.meta(redis.prefix(), id)))) {
        Coupon c = coupon(id, 10, 1, 0, 10);
        functions.load(c, 0, 0, Duration.ZERO).join();
        assertThat(functions.redeem(new RedeemRequest(id, "k-1", "u-1", "o-1", 100), 1).join())
            .isInstanceOf(RedeemOutcome.Accepted.class);
        coupons.add(c);
      }
    }
    return coupons;
  }

  private static void assertRedeemsContinueOn(PrivateRedis added, List<Coupon> moved) {
    for (Coupon c : moved) {
      long id = c.couponId();
      assertThat(cluster.ownerOf(CouponKeys.meta(redis.prefix(), id))).isEqualTo(added);
      // A coupon that moved to another node is fenced there (that node's epoch is another), and
      // decides again once repaired; with nothing lost, the repair changes nothing.
      assertThat(
              functions.redeem(new RedeemRequest(id, "k-2", "u-2", "o-2", 100), c.buckets()).join())
          .isEqualTo(new RedeemOutcome.Fenced());
      assertThat(redis.unfenceAsIs(id)).isTrue();
      RedeemOutcome outcome =
          functions.redeem(new RedeemRequest(id, "k-2", "u-2", "o-2", 100), c.buckets()).join();
      assertThat(outcome).isInstanceOf(RedeemOutcome.Accepted.class);
      assertThat(
              functions.redeem(new RedeemRequest(id, "k-3", "u-1", "o-3", 100), c.buckets()).join())
          .isEqualTo(new RedeemOutcome.Rejected(io.couponflow.lua.Rejection.USER_LIMIT_REACHED));
      var live = functions.coupon(id).join().orElseThrow();
      assertThat(live.accepted()).isEqualTo(2);
      assertThat(live.stock()).isEqualTo(8);
      assertThat(functions.inspect(id).join().orElseThrow().pendingAccepts()).isEqualTo(2);
    }
  }
}
