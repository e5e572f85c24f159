package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.RedisSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** cf_reverse and cf_get against a real Redis. */
class ReverseIT {
  private static final AtomicLong IDS = new AtomicLong();
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(ReverseIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  private static Coupon live(TestCoupons builder) {
    Coupon c = builder.build();
    assertThat(join(functions.load(c, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Created(c.totalStock(), true));
    return c;
  }

  private static RedeemOutcome redeem(
      Coupon c, String key, String user, String order, long amount) {
    return join(
        functions.redeem(new RedeemRequest(c.couponId(), key, user, order, amount), c.buckets()));
  }

  private static Redemption accepted(RedeemOutcome outcome) {
    assertThat(outcome).isInstanceOf(RedeemOutcome.Accepted.class);
    return ((RedeemOutcome.Accepted) outcome).redemption();
  }

  private static ReverseOutcome.Reversed reverse(Coupon c, RedemptionId id) {
    ReverseOutcome outcome = join(functions.reverse(id, c.buckets(), "order cancelled"));
    assertThat(outcome).isInstanceOf(ReverseOutcome.Reversed.class);
    return (ReverseOutcome.Reversed) outcome;
  }

  private static RedemptionLookup get(Coupon c, RedemptionId id) {
    return join(functions.get(id, c.buckets()));
  }

  private static Redemption reversedCopy(Redemption r, Instant at) {
    return new Redemption(
        r.redemptionId(),
        r.userId(),
        r.orderAmountCents(),
        r.discountCents(),
        RedemptionStatus.REVERSED,
        r.acceptedAt(),
        at);
  }

  @Test
  void reverse_accepted_restoresStockUserCountAndOrderSlotExactly() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(5).limit(2).buckets(1));
    CouponKeys k = functions.keys(c.couponId(), 1);
    accepted(redeem(c, "key-0", "u-1", "SO-0", 35_000));
    RedisSnapshot before = redis.snapshot();
    RedeemOutcome.Accepted a = (RedeemOutcome.Accepted) redeem(c, "key-1", "u-1", "SO-1", 35_000);
    Redemption r = a.redemption();

    ReverseOutcome.Reversed reversed = reverse(c, r.redemptionId());

    Instant at = reversed.redemption().reversedAt();
    assertThat(reversed.redemption()).isEqualTo(reversedCopy(r, at));
    assertThat(reversed.replayed()).isFalse();
    assertThat(at).isAfterOrEqualTo(r.acceptedAt());
    long acceptedAt = r.acceptedAt().toEpochMilli();
    assertThat(before.changesTo(redis.snapshot()))
        .isEqualTo(
            Map.of(
                k.meta(), Map.of("reversed", "0 -> 1"),
                k.orders("SO-1"),
                    Map.of(
                        "SO-1",
                        "(none) -> 1|u-1|35000|5000|" + acceptedAt + "|R|" + at.toEpochMilli()),
                k.idempotency("key-1"), Map.of("key-1", "(none) -> SO-1.1"),
                k.outbox(),
                    Map.of(
                        a.outboxId(),
                        "(none) -> t=A r="
                            + r.redemptionId()
                            + " k=key-1 u=u-1 o=SO-1 a=35000 d=5000 at="
                            + acceptedAt,
                        reversed.outboxId(),
                        "(none) -> t=R r="
                            + r.redemptionId()
                            + " u=u-1 rt="
                            + at.toEpochMilli()
                            + " why=order cancelled")));
  }

  @Test
  void reverse_usersOnlyRedemption_removesTheUsersEntryAndFreesTheQuota() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(1).limit(1).buckets(1));
    RedisSnapshot empty = redis.snapshot();
    Redemption r = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    assertThat(redeem(c, "key-2", "u-2", "SO-2", 35_000))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.SOLD_OUT));

    reverse(c, r.redemptionId());

    Map<String, Map<String, String>> changes = empty.changesTo(redis.snapshot());
    CouponKeys k = functions.keys(c.couponId(), 1);
    assertThat(changes).doesNotContainKey(k.users("u-1"));
    assertThat(changes.get(k.meta())).isEqualTo(Map.of("reversed", "0 -> 1"));
    assertThat(accepted(redeem(c, "key-3", "u-1", "SO-3", 35_000)).userId()).isEqualTo("u-1");
  }

  @Test
  void reverse_again_answersTheSameAndChangesNothing() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    Redemption r = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    ReverseOutcome.Reversed first = reverse(c, r.redemptionId());
    RedisSnapshot before = redis.snapshot();

    ReverseOutcome.Reversed second = reverse(c, r.redemptionId());

    assertThat(second).isEqualTo(new ReverseOutcome.Reversed(first.redemption(), true, null));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void reverse_thenRedeemTheOrderAgain_isGenerationTwo_andGenerationOneStaysReversed() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(5).limit(5).buckets(1));
    CouponKeys k = functions.keys(c.couponId(), 1);
    Redemption first = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    Redemption firstReversed = reverse(c, first.redemptionId()).redemption();

    Redemption second = accepted(redeem(c, "key-2", "u-2", "SO-1", 40_000));

    assertThat(second.redemptionId()).isEqualTo(new RedemptionId(c.couponId(), "SO-1", 2));
    assertThat(second.userId()).isEqualTo("u-2");
    assertThat(get(c, first.redemptionId())).isEqualTo(new RedemptionLookup.Found(firstReversed));
    assertThat(get(c, second.redemptionId())).isEqualTo(new RedemptionLookup.Found(second));
    assertThat(join(redis.redis().commands().hgetall(k.history())))
        .isEqualTo(
            Map.of(
                "SO-1.1",
                "1|u-1|35000|5000|"
                    + first.acceptedAt().toEpochMilli()
                    + "|R|"
                    + firstReversed.reversedAt().toEpochMilli()));
    assertThat(redeem(c, "key-1", "u-1", "SO-1", 35_000))
        .as("the first key still replays its first answer")
        .isEqualTo(new RedeemOutcome.Replayed(first));
    assertThat(redeem(c, "key-3", "u-3", "SO-1", 35_000))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.ORDER_ALREADY_REDEEMED));
    RedisSnapshot before = redis.snapshot();
    assertThat(reverse(c, first.redemptionId()))
        .isEqualTo(new ReverseOutcome.Reversed(firstReversed, true, null));
    assertThat(redis.snapshot()).isEqualTo(before);

    Redemption secondReversed = reverse(c, second.redemptionId()).redemption();
    Redemption third = accepted(redeem(c, "key-4", "u-1", "SO-1", 35_000));
    assertThat(third.redemptionId().generation()).isEqualTo(3);
    assertThat(get(c, second.redemptionId())).isEqualTo(new RedemptionLookup.Found(secondReversed));
    assertThat(get(c, first.redemptionId())).isEqualTo(new RedemptionLookup.Found(firstReversed));
    LiveCoupon live = join(functions.coupon(c.couponId())).orElseThrow();
    assertThat(live.stock()).isEqualTo(4);
    assertThat(live.accepted()).isEqualTo(1);
    assertThat(live.reversed()).isEqualTo(2);
  }

  @Test
  void reverse_unknownRedemptionOrCoupon_isNotFoundAndChangesNothing() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    RedisSnapshot before = redis.snapshot();

    assertThat(join(functions.reverse(new RedemptionId(c.couponId(), "SO-2", 1), 1, null)))
        .isEqualTo(new ReverseOutcome.NotFound());
    assertThat(
            join(functions.reverse(new RedemptionId(c.couponId(), "SO-1", 2), c.buckets(), null)))
        .isEqualTo(new ReverseOutcome.NotFound());
    assertThat(join(functions.reverse(new RedemptionId(999_999, "SO-1", 1), 1, null)))
        .isEqualTo(new ReverseOutcome.CouponMissing());

    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void get_foundNotFoundAndCouponMissing() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    Redemption r = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));

    assertThat(get(c, r.redemptionId())).isEqualTo(new RedemptionLookup.Found(r));
    assertThat(get(c, new RedemptionId(c.couponId(), "SO-1", 2)))
        .isEqualTo(new RedemptionLookup.NotFound());
    assertThat(get(c, new RedemptionId(c.couponId(), "SO-9", 1)))
        .isEqualTo(new RedemptionLookup.NotFound());
    assertThat(join(functions.get(new RedemptionId(999_998, "SO-1", 1), 1)))
        .isEqualTo(new RedemptionLookup.CouponMissing());
  }

  @Test
  void getAndReverse_withAStaleBucketCount_useRedissOwn() {
    Coupon c = live(coupon(IDS.incrementAndGet()).buckets(8));
    Redemption r = accepted(redeem(c, "key-1", "u-1", "SO-3", 35_000));
    assertThat(CouponKeys.bucket("SO-3", 8)).isEqualTo(4);
    assertThat(CouponKeys.bucket("u-1", 8)).isEqualTo(4);

    assertThat(join(functions.get(r.redemptionId(), 1))).isEqualTo(new RedemptionLookup.Found(r));
    ReverseOutcome outcome = join(functions.reverse(r.redemptionId(), 2, null));
    assertThat(outcome).isInstanceOf(ReverseOutcome.Reversed.class);
    assertThat(((ReverseOutcome.Reversed) outcome).redemption().status())
        .isEqualTo(RedemptionStatus.REVERSED);
    LiveCoupon live = join(functions.coupon(c.couponId())).orElseThrow();
    assertThat(live.stock()).isEqualTo(c.totalStock());
    assertThat(live.reversed()).isEqualTo(1);
  }

  @Test
  void reverse_worksWhenPausedEndedOrSoldOut_andGivesStockBack() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(1));
    Redemption r = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    join(functions.setStatus(c.couponId(), CouponStatus.PAUSED, 0));
    long now = redis.redisTimeMillis();
    Coupon ended =
        coupon(c.couponId())
            .stock(1)
            .window(c.startsAt(), Instant.ofEpochMilli(now - 1))
            .status(CouponStatus.PAUSED)
            .version(2)
            .build();
    assertThat(join(functions.load(ended, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Updated(0, 0));

    ReverseOutcome.Reversed reversed = reverse(c, r.redemptionId());

    assertThat(reversed.replayed()).isFalse();
    LiveCoupon live = join(functions.coupon(c.couponId())).orElseThrow();
    assertThat(live.stock()).isEqualTo(1);
    assertThat(live.accepted()).isZero();
    assertThat(live.reversed()).isEqualTo(1);
  }

  @Test
  void redeem_replayAfterReversal_returnsTheOriginalAcceptedAnswer() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    Redemption r = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    reverse(c, r.redemptionId());
    RedisSnapshot before = redis.snapshot();

    assertThat(redeem(c, "key-1", "u-1", "SO-1", 35_000)).isEqualTo(new RedeemOutcome.Replayed(r));
    assertThat(redis.snapshot()).isEqualTo(before);
  }
}
