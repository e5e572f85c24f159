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
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * cf_redeem against a real Redis: every outcome of the API's table, each with the exact state
 * change it makes, or a snapshot of every key showing it made none.
 */
class RedeemIT {
  private static final AtomicLong IDS = new AtomicLong();
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(RedeemIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  private static long nextId() {
    return IDS.incrementAndGet();
  }

  private static Coupon live(Coupon c) {
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

  private static RedeemOutcome rejected(Rejection rejection) {
    return new RedeemOutcome.Rejected(rejection);
  }

  /** Runs a call that must be refused and shows that no key under the prefix changed. */
  private static void assertRefusedWithoutChange(
      Rejection expected, java.util.function.Supplier<RedeemOutcome> call) {
    RedisSnapshot before = redis.snapshot();

    RedeemOutcome outcome = call.get();

    RedisSnapshot after = redis.snapshot();
    assertThat(outcome).isEqualTo(rejected(expected));
    assertThat(before.changesTo(after)).isEmpty();
    assertThat(after).isEqualTo(before);
  }

  private static LiveCoupon liveCoupon(long id) {
    return join(functions.coupon(id)).orElseThrow();
  }

  @Test
  void redeem_accepted_takesOneStockAndWritesUserOrderKeyAndOutboxExactly() {
    Coupon c = live(coupon(nextId()).stock(5).threshold(30_000).discount(5_000).build());
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    long before = redis.redisTimeMillis();
    RedisSnapshot was = redis.snapshot();

    RedeemOutcome outcome = redeem(c, "key-1", "u-1", "SO-1", 35_000);

    RedisSnapshot now = redis.snapshot();
    long after = redis.redisTimeMillis();
    assertThat(outcome).isInstanceOf(RedeemOutcome.Accepted.class);
    RedeemOutcome.Accepted a = (RedeemOutcome.Accepted) outcome;
    Redemption r = a.redemption();
    long at = r.acceptedAt().toEpochMilli();
    assertThat(at).isBetween(before, after);
    assertThat(r)
        .isEqualTo(
            new Redemption(
                new RedemptionId(c.couponId(), "SO-1", 1),
                "u-1",
                35_000,
                5_000,
                RedemptionStatus.ACCEPTED,
                Instant.ofEpochMilli(at),
                null));
    long keyExpiry = c.endsAt().toEpochMilli() + RedisFixture.RETENTION.toMillis();
    assertThat(was.changesTo(now))
        .isEqualTo(
            Map.of(
                k.meta(), Map.of("stock", "5 -> 4", "accepted", "0 -> 1"),
                k.users("u-1"), Map.of("u-1", "(none) -> 1"),
                k.orders("SO-1"), Map.of("SO-1", "(none) -> 1|u-1|35000|5000|" + at + "|A|"),
                k.idempotency("key-1"),
                    Map.of("key-1", "(none) -> SO-1.1", "@expireAt", "(none) -> " + keyExpiry),
                k.outbox(),
                    Map.of(
                        a.outboxId(),
                        "(none) -> t=A r="
                            + c.couponId()
                            + ".SO-1.1 k=key-1 u=u-1 o=SO-1 a=35000 d=5000 at="
                            + at)));
    assertThat(OutboxEntry.millisOf(a.outboxId())).isBetween(at, after);
  }

  @Test
  void redeem_amountBelowDiscount_discountIsTheAmount() {
    Coupon c = live(coupon(nextId()).stock(5).threshold(0).discount(5_000).build());

    assertThat(accepted(redeem(c, "k1", "u-1", "SO-1", 3_000)).discountCents()).isEqualTo(3_000);
    assertThat(accepted(redeem(c, "k2", "u-2", "SO-2", 0)).discountCents()).isZero();
    assertThat(accepted(redeem(c, "k3", "u-3", "SO-3", 5_000)).discountCents()).isEqualTo(5_000);
    assertThat(liveCoupon(c.couponId()).stock()).isEqualTo(2);
  }

  @Test
  void redeem_unknownCoupon_returnsCouponNotFoundAndCreatesNoKey() {
    long id = nextId();
    Coupon ghost = coupon(id).build();

    assertRefusedWithoutChange(
        Rejection.COUPON_NOT_FOUND, () -> redeem(ghost, "key-1", "u-1", "SO-1", 35_000));
    assertThat(redis.keys()).noneMatch(key -> key.contains("{" + id + "}"));
  }

  @Test
  void redeem_beforeStartsAt_returnsNotActiveAndChangesNothing() {
    long now = redis.redisTimeMillis();
    Coupon c =
        live(
            coupon(nextId())
                .window(Instant.ofEpochMilli(now + 60_000), Instant.ofEpochMilli(now + 120_000))
                .build());

    assertRefusedWithoutChange(
        Rejection.COUPON_NOT_ACTIVE, () -> redeem(c, "key-1", "u-1", "SO-1", 35_000));
  }

  @Test
  void redeem_atOrAfterEndsAt_returnsNotActiveAndChangesNothing() {
    long now = redis.redisTimeMillis();
    Coupon endsNow =
        live(
            coupon(nextId())
                .window(Instant.ofEpochMilli(now - 60_000), Instant.ofEpochMilli(now))
                .build());
    Coupon ended =
        live(
            coupon(nextId())
                .window(Instant.ofEpochMilli(now - 60_000), Instant.ofEpochMilli(now - 1_000))
                .build());

    assertRefusedWithoutChange(
        Rejection.COUPON_NOT_ACTIVE, () -> redeem(endsNow, "key-1", "u-1", "SO-1", 35_000));
    assertRefusedWithoutChange(
        Rejection.COUPON_NOT_ACTIVE, () -> redeem(ended, "key-1", "u-1", "SO-1", 35_000));
  }

  @Test
  void redeem_paused_returnsNotActiveAndChangesNothing_thenResumeAccepts() {
    Coupon c = live(coupon(nextId()).status(CouponStatus.PAUSED).build());

    assertRefusedWithoutChange(
        Rejection.COUPON_NOT_ACTIVE, () -> redeem(c, "key-1", "u-1", "SO-1", 35_000));

    assertThat(join(functions.setStatus(c.couponId(), CouponStatus.ACTIVE, 0)))
        .contains(CouponStatus.ACTIVE);
    accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
  }

  @Test
  void redeem_belowThreshold_returnsBelowThresholdAndChangesNothing_atThresholdAccepts() {
    Coupon c = live(coupon(nextId()).threshold(30_000).build());

    assertRefusedWithoutChange(
        Rejection.ORDER_BELOW_THRESHOLD, () -> redeem(c, "key-1", "u-1", "SO-1", 29_999));
    assertThat(accepted(redeem(c, "key-1", "u-1", "SO-1", 30_000)).orderAmountCents())
        .isEqualTo(30_000);
  }

  @Test
  void redeem_soldOut_returnsSoldOutAndTakesNoStock() {
    Coupon empty = live(coupon(nextId()).stock(0).build());
    Coupon one = live(coupon(nextId()).stock(1).build());
    accepted(redeem(one, "key-1", "u-1", "SO-1", 35_000));

    assertRefusedWithoutChange(
        Rejection.SOLD_OUT, () -> redeem(empty, "key-1", "u-1", "SO-1", 35_000));
    assertRefusedWithoutChange(
        Rejection.SOLD_OUT, () -> redeem(one, "key-2", "u-2", "SO-2", 35_000));
    assertThat(liveCoupon(one.couponId()).stock()).isZero();
    assertThat(liveCoupon(one.couponId()).accepted()).isEqualTo(1);
  }

  @Test
  void redeem_userAtLimitOne_returnsUserLimitReachedAndChangesNothing() {
    Coupon c = live(coupon(nextId()).limit(1).build());
    accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));

    assertRefusedWithoutChange(
        Rejection.USER_LIMIT_REACHED, () -> redeem(c, "key-2", "u-1", "SO-2", 35_000));
  }

  @Test
  void redeem_userAtLimitTwo_thirdIsRefused_otherUsersAreNot() {
    Coupon c = live(coupon(nextId()).limit(2).build());
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    assertThat(accepted(redeem(c, "key-2", "u-1", "SO-2", 35_000)).userId()).isEqualTo("u-1");

    assertRefusedWithoutChange(
        Rejection.USER_LIMIT_REACHED, () -> redeem(c, "key-3", "u-1", "SO-3", 35_000));
    accepted(redeem(c, "key-4", "u-2", "SO-3", 35_000));
    assertThat(join(redis.redis().commands().hget(k.users("u-1"), "u-1"))).isEqualTo("2");
    assertThat(join(redis.redis().commands().hget(k.users("u-2"), "u-2"))).isEqualTo("1");
  }

  @Test
  void redeem_orderAlreadyRedeemedUnderAnotherKey_returnsOrderAlreadyRedeemedAndChangesNothing() {
    Coupon c = live(coupon(nextId()).limit(2).build());
    accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));

    assertRefusedWithoutChange(
        Rejection.ORDER_ALREADY_REDEEMED, () -> redeem(c, "key-2", "u-2", "SO-1", 35_000));
    assertRefusedWithoutChange(
        Rejection.ORDER_ALREADY_REDEEMED, () -> redeem(c, "key-3", "u-1", "SO-1", 40_000));
  }

  @Test
  void redeem_sameKeySameParameters_replaysTheFirstAnswerAndChangesNothing() {
    Coupon c = live(coupon(nextId()).build());
    Redemption first = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    RedisSnapshot before = redis.snapshot();

    RedeemOutcome again = redeem(c, "key-1", "u-1", "SO-1", 35_000);

    assertThat(again).isEqualTo(new RedeemOutcome.Replayed(first));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void redeem_replayAfterSoldOut_returnsTheOriginalAnswer() {
    Coupon c = live(coupon(nextId()).stock(1).build());
    Redemption first = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    assertThat(redeem(c, "key-2", "u-2", "SO-2", 35_000)).isEqualTo(rejected(Rejection.SOLD_OUT));
    RedisSnapshot before = redis.snapshot();

    assertThat(redeem(c, "key-1", "u-1", "SO-1", 35_000))
        .isEqualTo(new RedeemOutcome.Replayed(first));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void redeem_replayAfterPause_returnsTheOriginalAnswer() {
    Coupon c = live(coupon(nextId()).build());
    Redemption first = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    join(functions.setStatus(c.couponId(), CouponStatus.PAUSED, 0));
    RedisSnapshot before = redis.snapshot();

    assertThat(redeem(c, "key-1", "u-1", "SO-1", 35_000))
        .isEqualTo(new RedeemOutcome.Replayed(first));
    assertThat(redeem(c, "key-2", "u-2", "SO-2", 35_000))
        .isEqualTo(rejected(Rejection.COUPON_NOT_ACTIVE));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void redeem_replayAfterWindowEnded_returnsTheOriginalAnswer() {
    Coupon c = live(coupon(nextId()).build());
    Redemption first = accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    long now = redis.redisTimeMillis();
    Coupon ended =
        coupon(c.couponId()).window(c.startsAt(), Instant.ofEpochMilli(now - 1)).version(2).build();
    assertThat(join(functions.load(ended, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Updated(9, 0));
    RedisSnapshot before = redis.snapshot();

    assertThat(redeem(c, "key-1", "u-1", "SO-1", 35_000))
        .isEqualTo(new RedeemOutcome.Replayed(first));
    assertThat(redeem(c, "key-2", "u-2", "SO-2", 35_000))
        .isEqualTo(rejected(Rejection.COUPON_NOT_ACTIVE));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void redeem_keyReusedWithAnotherUserOrderOrAmount_returnsKeyReusedAndChangesNothing() {
    Coupon c = live(coupon(nextId()).stock(3).limit(5).build());
    accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));

    assertRefusedWithoutChange(
        Rejection.IDEMPOTENCY_KEY_REUSED, () -> redeem(c, "key-1", "u-2", "SO-1", 35_000));
    assertRefusedWithoutChange(
        Rejection.IDEMPOTENCY_KEY_REUSED, () -> redeem(c, "key-1", "u-1", "SO-2", 35_000));
    assertRefusedWithoutChange(
        Rejection.IDEMPOTENCY_KEY_REUSED, () -> redeem(c, "key-1", "u-1", "SO-1", 35_001));
  }

  @Test
  void redeem_keyReusedOnSoldOutPausedCoupon_isStillKeyReused() {
    Coupon c = live(coupon(nextId()).stock(1).build());
    accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    join(functions.setStatus(c.couponId(), CouponStatus.PAUSED, 0));

    assertRefusedWithoutChange(
        Rejection.IDEMPOTENCY_KEY_REUSED, () -> redeem(c, "key-1", "u-9", "SO-9", 1));
  }

  @Test
  void redeem_sameKeyOnAnotherCoupon_isIndependent() {
    Coupon a = live(coupon(nextId()).build());
    Coupon b = live(coupon(nextId()).build());
    accepted(redeem(a, "key-1", "u-1", "SO-1", 35_000));

    Redemption onB = accepted(redeem(b, "key-1", "u-2", "SO-2", 35_000));

    assertThat(onB.redemptionId()).isEqualTo(new RedemptionId(b.couponId(), "SO-2", 1));
  }

  @Test
  void redeem_rejectedRequest_isEvaluatedAnewOnRetry() {
    Coupon c = live(coupon(nextId()).threshold(30_000).build());
    assertThat(redeem(c, "key-1", "u-1", "SO-1", 10_000))
        .isEqualTo(rejected(Rejection.ORDER_BELOW_THRESHOLD));
    join(functions.setStatus(c.couponId(), CouponStatus.PAUSED, 0));
    assertThat(redeem(c, "key-2", "u-1", "SO-1", 35_000))
        .isEqualTo(rejected(Rejection.COUPON_NOT_ACTIVE));
    join(functions.setStatus(c.couponId(), CouponStatus.ACTIVE, 0));

    assertThat(accepted(redeem(c, "key-2", "u-1", "SO-1", 35_000)).orderAmountCents())
        .isEqualTo(35_000);
  }

  @Test
  void redeem_checksRunInTheContractsOrder() {
    long now = redis.redisTimeMillis();
    Coupon c = live(coupon(nextId()).stock(2).limit(1).threshold(30_000).build());
    accepted(redeem(c, "key-1", "u-1", "SO-1", 35_000));
    accepted(redeem(c, "key-2", "u-2", "SO-2", 35_000));

    assertThat(redeem(c, "key-3", "u-1", "SO-1", 10))
        .as("threshold before user limit, order and stock")
        .isEqualTo(rejected(Rejection.ORDER_BELOW_THRESHOLD));
    assertThat(redeem(c, "key-3", "u-1", "SO-2", 35_000))
        .as("user limit before order and stock")
        .isEqualTo(rejected(Rejection.USER_LIMIT_REACHED));
    assertThat(redeem(c, "key-3", "u-3", "SO-2", 35_000))
        .as("order before stock")
        .isEqualTo(rejected(Rejection.ORDER_ALREADY_REDEEMED));
    assertThat(redeem(c, "key-3", "u-3", "SO-3", 35_000)).isEqualTo(rejected(Rejection.SOLD_OUT));
    Coupon paused =
        coupon(c.couponId())
            .stock(2)
            .threshold(30_000)
            .status(CouponStatus.PAUSED)
            .window(c.startsAt(), Instant.ofEpochMilli(now + 3_600_000))
            .version(2)
            .build();
    join(functions.load(paused, 0, 0, Duration.ZERO));
    assertThat(redeem(c, "key-3", "u-1", "SO-1", 10))
        .as("active before threshold")
        .isEqualTo(rejected(Rejection.COUPON_NOT_ACTIVE));
    assertThat(redeem(c, "key-1", "u-1", "SO-1", 10))
        .as("idempotency before everything but existence")
        .isEqualTo(rejected(Rejection.IDEMPOTENCY_KEY_REUSED));
  }

  @Test
  void redeem_malformedArgumentsFromRedisCli_areRefusedWithAReasonAndChangeNothing() {
    Coupon c = live(coupon(nextId()).build());
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    String[] keys = {
      k.meta(), k.users("u|1"), k.orders("SO-1"), k.idempotency("key-1"), k.history(), k.outbox()
    };
    String buckets = Integer.toString(c.buckets());
    RedisSnapshot before = redis.snapshot();

    assertThat(fcallError(keys, buckets, "key-1", "u-1", "SO-1", "lots", "86400000"))
        .contains("couponflow: argument 5 (orderAmountCents) must be a whole number");
    assertThat(fcallError(keys, buckets, "key-1", "u-1", "SO-1", "-1", "86400000"))
        .contains(
            "couponflow: argument 5 (orderAmountCents) must be a whole number 0..1000000000000");
    assertThat(fcallError(keys, buckets, "key-1", "u-1", "SO-1", "1000000000001", "86400000"))
        .contains("couponflow: argument 5 (orderAmountCents)");
    assertThat(fcallError(keys, buckets, "key-1", "u-1", "SO-1", "1e3", "86400000"))
        .contains("couponflow: argument 5 (orderAmountCents)");
    assertThat(fcallError(keys, buckets, "key-1", "u-1", "SO-1", "35000", "soon"))
        .contains("couponflow: argument 6 (retentionMs)");
    assertThat(fcallError(keys, buckets, "key-1", "u-1", "o".repeat(65), "35000", "86400000"))
        .contains("couponflow: argument 4 (orderId)");
    assertThat(fcallError(keys, buckets, "k".repeat(129), "u-1", "SO-1", "35000", "86400000"))
        .contains("couponflow: argument 2 (idempotencyKey)");
    assertThat(fcallError(keys, buckets, "key-1", "u|1", "SO-1", "35000", "86400000"))
        .contains("couponflow: argument 3 (userId)");
    assertThat(fcallError(keys, buckets, "key-1", "u-1", "SO.1", "35000", "86400000"))
        .contains("couponflow: argument 4 (orderId)");
    assertThat(fcallError(keys, buckets, "key 1", "u-1", "SO-1", "35000", "86400000"))
        .contains("couponflow: argument 2 (idempotencyKey)");
    assertThat(fcallError(keys, buckets, "", "u-1", "SO-1", "35000", "86400000"))
        .contains("couponflow: argument 2 (idempotencyKey)");
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  private static String fcallError(String[] keys, String... args) {
    try {
      join(redis.redis().commands().fcall("cf_redeem", ScriptOutputType.MULTI, keys, args));
    } catch (IllegalStateException e) {
      assertThat(e.getCause()).isInstanceOf(RedisCommandExecutionException.class);
      return e.getCause().getMessage();
    }
    throw new AssertionError("cf_redeem accepted " + List.of(args));
  }
}
