package io.couponflow.core.live;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.config.RedisSettings;
import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.RedisStore;
import io.couponflow.lua.Rejection;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.RedisSnapshot;
import io.couponflow.testkit.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Making a coupon live from MySQL, and repairing one whose Redis state is older than what MySQL
 * holds, against the shared Redis and MariaDB. A coupon is fenced by hand ({@code cf_fence}) or by
 * deleting its keys; {@code RedisLossIT} in the gateway does it with real restarts.
 */
class CouponRepairIT {
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;
  private static CouponRepair repair;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(CouponRepairIT.class);
    redis = RedisFixture.create(CouponRepairIT.class);
    functions = redis.functions();
    repair = new CouponRepair(functions, db.database().sessions());
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    db.close();
  }

  private static void define(Coupon c) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class).insert(c);
    }
  }

  /** Stores what the sink would store for an accepted redemption. */
  private static void store(RedeemOutcome.Accepted a, String key) {
    Redemption r = a.redemption();
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(RedemptionMapper.class)
          .upsert(
              new RedemptionRow(
                  r.redemptionId().toString(),
                  r.couponId(),
                  key,
                  r.userId(),
                  r.orderId(),
                  r.orderAmountCents(),
                  r.discountCents(),
                  RedemptionStatus.ACCEPTED,
                  r.acceptedAt(),
                  null,
                  null,
                  a.outboxId()));
    }
  }

  private static void storeReversal(Redemption reversed) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(RedemptionMapper.class)
          .markReversed(reversed.redemptionId().toString(), reversed.reversedAt(), "test");
    }
  }

  private static RedeemOutcome redeem(Coupon c, String n) {
    return join(
        functions.redeem(
            new RedeemRequest(c.couponId(), "key-" + n, "u-" + n, "SO-" + n, 35_000), c.buckets()));
  }

  /** Redeems and stores the row, as the sink would. */
  private static RedeemOutcome.Accepted redeemAndStore(Coupon c, String n) {
    RedeemOutcome.Accepted a = (RedeemOutcome.Accepted) redeem(c, n);
    store(a, "key-" + n);
    return a;
  }

  private static void deleteKeysOf(long couponId, String kind) {
    for (String key : redis.keys()) {
      if (key.contains("{" + couponId + "}:" + kind)) {
        join(redis.commands().del(key));
      }
    }
  }

  private static LiveCoupon live(long couponId) {
    return join(functions.coupon(couponId)).orElseThrow();
  }

  @Test
  void makeLive_couponWithoutRedemptions_createsItLiveWithItsStock() {
    Coupon c = coupon(1).stock(7).build();
    define(c);

    assertThat(repair.makeLive(c)).isEqualTo(new CouponRepair.Outcome.Created(7));
    assertThat(repair.makeLive(c)).isEqualTo(new CouponRepair.Outcome.Live());
    assertThat(redeem(c, "1")).isInstanceOf(RedeemOutcome.Accepted.class);
  }

  @Test
  void makeLive_unknownToMySql_isUnknownAndWritesNothing() {
    assertThat(repair.makeLive(999)).isEqualTo(new CouponRepair.Outcome.Unknown());
    assertThat(join(functions.coupon(999))).isEmpty();
  }

  @Test
  void makeLive_afterRedisLostTheCouponWhole_restoresLimitsSlotsReplaysAndReversals() {
    Coupon c = coupon(2).stock(10).limit(1).build();
    define(c);
    repair.makeLive(c);
    List<RedeemOutcome.Accepted> accepted = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      accepted.add(redeemAndStore(c, Integer.toString(i)));
    }
    Redemption reversed =
        ((ReverseOutcome.Reversed)
                join(
                    functions.reverse(
                        accepted.get(2).redemption().redemptionId(), c.buckets(), "test")))
            .redemption();
    storeReversal(reversed);
    deleteKeysOf(2, "");

    CouponRepair.Outcome rebuilt = repair.makeLive(c);

    assertThat(rebuilt).isInstanceOf(CouponRepair.Outcome.Repaired.class);
    RepairReport report = ((CouponRepair.Outcome.Repaired) rebuilt).report();
    assertThat(report.restored()).hasSize(3);
    assertThat(report.counters()).isEqualTo(new Counters(8, 2, 1));
    LiveCoupon live = live(2);
    assertThat(live.accepted()).isEqualTo(2);
    assertThat(live.stock()).isEqualTo(8);
    assertThat(live.reversed()).isEqualTo(1);
    assertThat(redeem(c, "new-user-0-order"))
        .isInstanceOf(RedeemOutcome.Accepted.class); // a new user and order still get one
    assertThat(
            join(
                functions.redeem(
                    new RedeemRequest(2, "key-x", "u-0", "SO-x", 35_000), c.buckets())))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.USER_LIMIT_REACHED));
    assertThat(
            join(
                functions.redeem(
                    new RedeemRequest(2, "key-y", "u-y", "SO-1", 35_000), c.buckets())))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.ORDER_ALREADY_REDEEMED));
    assertThat(redeem(c, "0")).isEqualTo(new RedeemOutcome.Replayed(accepted.get(0).redemption()));
    assertThat(join(functions.get(reversed.redemptionId(), c.buckets())))
        .isEqualTo(new RedemptionLookup.Found(reversed));
    RedeemOutcome again =
        join(
            functions.redeem(
                new RedeemRequest(2, "key-again", "u-2", "SO-2", 35_000), c.buckets()));
    assertThat(again)
        .isInstanceOfSatisfying(
            RedeemOutcome.Accepted.class,
            a -> assertThat(a.redemption().redemptionId().generation()).isEqualTo(2));
  }

  @Test
  void fencedCoupon_decidesNothing_untilRepaired() {
    Coupon c = coupon(3).stock(5).build();
    define(c);
    repair.makeLive(c);
    RedeemOutcome.Accepted first = redeemAndStore(c, "1");
    join(functions.fence(3));
    RedisSnapshot before = redis.snapshot();

    assertThat(redeem(c, "2")).isEqualTo(new RedeemOutcome.Fenced());
    assertThat(redeem(c, "1")).isEqualTo(new RedeemOutcome.Fenced());
    assertThat(join(functions.get(first.redemption().redemptionId(), c.buckets())))
        .isEqualTo(new RedemptionLookup.Fenced());
    assertThat(join(functions.reverse(first.redemption().redemptionId(), c.buckets(), "")))
        .isEqualTo(new ReverseOutcome.Fenced());
    assertThat(redis.snapshot()).isEqualTo(before);

    CouponRepair.Outcome repaired = repair.makeLive(c);

    assertThat(repaired).isInstanceOf(CouponRepair.Outcome.Repaired.class);
    assertThat(((CouponRepair.Outcome.Repaired) repaired).report().changedAnything()).isFalse();
    assertThat(redeem(c, "1")).isEqualTo(new RedeemOutcome.Replayed(first.redemption()));
  }

  @Test
  void repair_whenRedisKeptTheMetaButLostRecordsAndCounts_restoresThemExactly() {
    // What an AOF replayed up to a point before its tail looks like to one coupon: the meta with
    // the counters of that point, and the later redemptions' records missing.
    Coupon c = coupon(4).stock(10).limit(1).buckets(4).build();
    define(c);
    repair.makeLive(c);
    List<RedeemOutcome.Accepted> lost = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      lost.add(redeemAndStore(c, Integer.toString(i)));
    }
    join(functions.fence(4));
    deleteKeysOf(4, "o:");
    deleteKeysOf(4, "u:");
    deleteKeysOf(4, "i:");
    join(
        redis
            .commands()
            .hset(functions.keys(4, c.buckets()).meta(), Map.of("stock", "10", "accepted", "0")));

    CouponRepair.Outcome repaired = repair.makeLive(c);

    RepairReport report = ((CouponRepair.Outcome.Repaired) repaired).report();
    assertThat(report.restored()).hasSize(4);
    assertThat(report.keysRestored()).isEqualTo(4);
    assertThat(report.userCountsFixed()).isEqualTo(4);
    assertThat(report.counters()).isEqualTo(new Counters(6, 4, 0));
    assertThat(live(4).stock()).isEqualTo(6);
    for (RedeemOutcome.Accepted a : lost) {
      String n = a.redemption().userId().substring(2);
      assertThat(redeem(c, n)).isEqualTo(new RedeemOutcome.Replayed(a.redemption()));
      assertThat(
              join(
                  functions.redeem(
                      new RedeemRequest(4, "other-" + n, "u-" + n, "SO-other-" + n, 35_000),
                      c.buckets())))
          .isEqualTo(new RedeemOutcome.Rejected(Rejection.USER_LIMIT_REACHED));
      assertThat(
              join(
                  functions.redeem(
                      new RedeemRequest(4, "order-" + n, "u-order-" + n, "SO-" + n, 35_000),
                      c.buckets())))
          .isEqualTo(new RedeemOutcome.Rejected(Rejection.ORDER_ALREADY_REDEEMED));
    }
  }

  @Test
  void repair_ofAnOversoldCoupon_reportsByHowMuch_andGoesLiveWithNoStock() {
    Coupon c = coupon(5).stock(3).limit(5).build();
    define(c);
    repair.makeLive(c);
    for (int i = 1; i <= 3; i++) {
      redeemAndStore(c, Integer.toString(i));
    }
    // An older version oversold: MySQL holds two more accepted rows than the total.
    deleteKeysOf(5, "");
    Coupon bigger = coupon(5).stock(5).limit(5).build();
    repair.makeLive(bigger);
    redeemAndStore(bigger, "4");
    redeemAndStore(bigger, "5");
    deleteKeysOf(5, "");

    CouponRepair.Outcome repaired = repair.makeLive(c);

    RepairReport report = ((CouponRepair.Outcome.Repaired) repaired).report();
    assertThat(report.oversoldBy()).isEqualTo(2);
    assertThat(report.counters()).isEqualTo(new Counters(0, 5, 0));
    assertThat(redeem(c, "6")).isEqualTo(new RedeemOutcome.Rejected(Rejection.SOLD_OUT));
  }

  @Test
  void repair_twice_writesNothingTheSecondTime() {
    Coupon c = coupon(6).stock(5).build();
    define(c);
    repair.makeLive(c);
    redeemAndStore(c, "1");
    deleteKeysOf(6, "i:");
    join(functions.fence(6));
    repair.makeLive(c);
    RedisSnapshot after = redis.snapshot();
    join(functions.fence(6));

    CouponRepair.Outcome again = repair.makeLive(c);

    assertThat(((CouponRepair.Outcome.Repaired) again).report().changedAnything()).isFalse();
    assertThat(redis.snapshot()).isEqualTo(after);
  }

  @Test
  void makeLiveWaiting_onANodeThatIsStillSettling_sleepsWithinTheBoundThenCreatesIt() {
    try (PrivateRedis server = PrivateRedis.launch();
        RedisFixture young = RedisFixture.create(server.uri(), CouponRepairIT.class);
        RedisStore settling =
            RedisStore.connect(
                RedisSettings.of(server.uri(), young.prefix())
                    .withRepairSettle(Duration.ofSeconds(4)))) {
      CouponRepair onYoung =
          new CouponRepair(
              new CouponFunctions(settling, RedisFixture.RETENTION), db.database().sessions());
      Coupon c = coupon(7).stock(3).build();
      define(c);

      CouponRepair.Waited refused = onYoung.makeLiveWaiting(c, Duration.ZERO);

      assertThat(refused.outcome()).isInstanceOf(CouponRepair.Outcome.Settling.class);
      assertThat(refused.waited()).isZero();
      assertThat(join(young.functions().coupon(7))).isEmpty();

      CouponRepair.Waited made = onYoung.makeLiveWaiting(c, Duration.ofSeconds(10));

      assertThat(made.outcome()).isEqualTo(new CouponRepair.Outcome.Created(3));
      assertThat(made.waited()).isPositive();
    }
  }
}
