package io.couponflow.core;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.Rejection;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Loading a coupon from MySQL, and rebuilding one Redis lost without losing its rules. */
class CouponLoaderIT {
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;
  private static CouponLoader loader;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(CouponLoaderIT.class);
    redis = RedisFixture.create(CouponLoaderIT.class);
    functions = redis.functions();
    loader = new CouponLoader(functions, db.database().sessions());
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
  private static void store(RedemptionRow row) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(RedemptionMapper.class).upsert(row);
    }
  }

  private static RedemptionRow row(RedeemOutcome.Accepted a, String key) {
    Redemption r = a.redemption();
    return new RedemptionRow(
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
        a.outboxId());
  }

  private static void forget(long couponId) {
    for (String key : redis.keys()) {
      if (key.contains("{" + couponId + "}")) {
        join(redis.redis().commands().del(key));
      }
    }
  }

  @Test
  void load_couponWithoutRedemptions_createsItWithItsStock() {
    Coupon c = coupon(1).stock(7).build();
    define(c);

    assertThat(loader.load(c)).isEqualTo(new LoadOutcome.Created(7));
    assertThat(loader.load(c)).isEqualTo(new LoadOutcome.Unchanged(7, 1));
  }

  @Test
  void load_afterRedisLostTheCoupon_restoresLimitsSlotsReplaysAndReversals() {
    Coupon c = coupon(2).stock(10).limit(1).build();
    define(c);
    loader.load(c);
    List<RedeemOutcome.Accepted> accepted = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RedeemRequest request = new RedeemRequest(2, "key-" + i, "u-" + i, "SO-" + i, 35_000);
      RedeemOutcome.Accepted a =
          (RedeemOutcome.Accepted) join(functions.redeem(request, c.buckets()));
      accepted.add(a);
      store(row(a, request.idempotencyKey()));
    }
    Redemption reversed =
        ((ReverseOutcome.Reversed)
                join(
                    functions.reverse(
                        accepted.get(2).redemption().redemptionId(), c.buckets(), "test")))
            .redemption();
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(RedemptionMapper.class)
          .markReversed(reversed.redemptionId().toString(), reversed.reversedAt(), "test");
    }
    forget(2);

    LoadOutcome rebuilt = loader.load(c);

    assertThat(rebuilt).isEqualTo(new LoadOutcome.Created(8));
    LiveCoupon live = join(functions.coupon(2)).orElseThrow();
    assertThat(live.accepted()).isEqualTo(2);
    assertThat(live.stock()).isEqualTo(8);
    assertThat(
            join(
                functions.redeem(
                    new RedeemRequest(2, "key-new", "u-0", "SO-new", 35_000), c.buckets())))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.USER_LIMIT_REACHED));
    assertThat(
            join(
                functions.redeem(
                    new RedeemRequest(2, "key-other", "u-new", "SO-1", 35_000), c.buckets())))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.ORDER_ALREADY_REDEEMED));
    assertThat(
            join(
                functions.redeem(
                    new RedeemRequest(2, "key-0", "u-0", "SO-0", 35_000), c.buckets())))
        .isEqualTo(new RedeemOutcome.Replayed(accepted.get(0).redemption()));
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
  void load_ofALiveCoupon_neverTouchesItsStockOrRecords() {
    Coupon c = coupon(3).stock(5).build();
    define(c);
    loader.load(c);
    RedeemRequest request = new RedeemRequest(3, "key-1", "u-1", "SO-1", 35_000);
    RedeemOutcome.Accepted a =
        (RedeemOutcome.Accepted) join(functions.redeem(request, c.buckets()));
    store(row(a, request.idempotencyKey()));

    assertThat(loader.load(c)).isEqualTo(new LoadOutcome.Unchanged(4, 1));
    assertThat(join(functions.coupon(3)).orElseThrow().accepted()).isEqualTo(1);
  }
}
