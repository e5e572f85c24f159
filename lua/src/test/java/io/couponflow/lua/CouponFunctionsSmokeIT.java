package io.couponflow.lua;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.testkit.RedisFixture;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CouponFunctionsSmokeIT {
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(CouponFunctionsSmokeIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  private static Coupon coupon(long id, long stock) {
    return TestCoupons.coupon(id).name("smoke").stock(stock).threshold(100).discount(50).build();
  }

  @Test
  void redeem_thenReplay_thenReverse_roundTrips() {
    Coupon c = coupon(1, 2);
    assertThat(functions.load(c, 0, 0, Duration.ZERO).join())
        .isEqualTo(new LoadOutcome.Created(2, true));

    RedeemRequest request = new RedeemRequest(1, "key-1", "u-1", "SO-1", 150);
    RedeemOutcome first = functions.redeem(request, c.buckets()).join();
    assertThat(first).isInstanceOf(RedeemOutcome.Accepted.class);
    var accepted = ((RedeemOutcome.Accepted) first).redemption();
    assertThat(accepted.redemptionId().toString()).isEqualTo("1.SO-1.1");
    assertThat(accepted.discountCents()).isEqualTo(50);

    assertThat(functions.redeem(request, c.buckets()).join())
        .isEqualTo(new RedeemOutcome.Replayed(accepted));

    ReverseOutcome reversed =
        functions.reverse(accepted.redemptionId(), c.buckets(), "test").join();
    assertThat(reversed)
        .isInstanceOfSatisfying(
            ReverseOutcome.Reversed.class,
            r -> {
              assertThat(r.replayed()).isFalse();
              assertThat(r.redemption().status()).isEqualTo(RedemptionStatus.REVERSED);
            });
    assertThat(functions.coupon(1).join().orElseThrow().stock()).isEqualTo(2);
    assertThat(functions.inspect(1).join().orElseThrow().pendingAccepts()).isEqualTo(1);
    assertThat(functions.outboxRead(1, Duration.ZERO, 10, null).join()).hasSize(2);
  }

  @Test
  void redeem_withStaleBucketCount_retriesWithRedissOwn() {
    Coupon c = coupon(2, 1000);
    functions.load(c, 0, 0, Duration.ZERO).join();

    RedeemOutcome outcome =
        functions.redeem(new RedeemRequest(2, "key-1", "u-1", "SO-1", 150), 1).join();

    assertThat(outcome).isInstanceOf(RedeemOutcome.Accepted.class);
  }
}
