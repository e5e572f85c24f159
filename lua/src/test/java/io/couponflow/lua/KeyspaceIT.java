package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.testkit.RedisFixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Keyspace and the library's version check against a real Redis. */
class KeyspaceIT {
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static RedisFixture redis;
  private static Keyspace keyspace;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(KeyspaceIT.class);
    keyspace = new Keyspace(redis.redis());
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  private static Coupon liveWithARedemption(long id) {
    Coupon c = coupon(id).buckets(2).build();
    join(redis.functions().load(c, 0, 0, Duration.ZERO));
    join(
        redis
            .functions()
            .redeem(new RedeemRequest(id, "k-" + id, "u-1", "SO-1", 35_000), c.buckets()));
    return c;
  }

  @Test
  void memoryUsageAndDeleteCoupon_coverExactlyTheCouponsKeys() {
    liveWithARedemption(1);
    liveWithARedemption(2);
    List<String> keysOf1 =
        redis.keys().stream().filter(k -> k.startsWith(redis.prefix() + ":{1}:")).toList();
    long expected = 0;
    for (String key : keysOf1) {
      expected += join(redis.commands().memoryUsage(key));
    }

    assertThat(keysOf1).hasSize(5);
    assertThat(keyspace.memoryUsage(1, TIMEOUT)).isEqualTo(expected).isPositive();
    assertThat(keyspace.deleteCoupon(1, TIMEOUT)).isEqualTo(5);

    assertThat(redis.keys()).noneMatch(k -> k.startsWith(redis.prefix() + ":{1}:")).hasSize(5);
    assertThat(keyspace.memoryUsage(1, TIMEOUT)).isZero();
  }

  @Test
  void deleteAll_deletesEveryKeyUnderThePrefix_andNoOther() {
    try (RedisFixture other = RedisFixture.create(KeyspaceIT.class)) {
      join(other.functions().load(coupon(9).build(), 0, 0, Duration.ZERO));
      liveWithARedemption(3);
      join(new HotSet(redis.redis()).add(Map.of(3L, java.time.Instant.now())));

      long deleted = keyspace.deleteAll(TIMEOUT);

      assertThat(deleted).isPositive();
      assertThat(redis.keys()).isEmpty();
      assertThat(other.keys()).hasSize(1);
    }
  }

  @Test
  void versions_answerThisBuildsLibraryOnEveryMaster() {
    assertThat(join(CouponLibrary.versions(redis.redis(), TIMEOUT)))
        .hasSize(1)
        .allSatisfy(
            reply -> {
              assertThat(reply.failure()).isNull();
              assertThat(reply.value()).isEqualTo(CouponLibrary.version());
            });
  }
}
