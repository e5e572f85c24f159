package io.couponflow.core.reverse;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.core.live.CouponRepair;
import io.couponflow.core.live.DirectCoupons;
import io.couponflow.core.live.RedisCalls;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The reversal use case against the shared Redis and MariaDB, with the coupons of a caller that
 * keeps no cache ({@link DirectCoupons}, as the CLI uses it) and a recorder that keeps what it is
 * handed.
 */
class ReversalIT {
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;
  private static ExecutorService blocking;
  private static final List<Reversal.Entry> recorded = new CopyOnWriteArrayList<>();
  private static Reversal<String> reversal;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(ReversalIT.class);
    redis = RedisFixture.create(ReversalIT.class);
    functions = redis.functions();
    blocking = Executors.newCachedThreadPool();
    CouponRepair repair = new CouponRepair(functions, db.database().sessions());
    reversal =
        new Reversal<>(
            functions,
            RedisCalls.DIRECT,
            new DirectCoupons(functions, repair, ReversalIT::definition, blocking),
            entry -> {
              recorded.add(entry);
              return CompletableFuture.completedFuture("recorded " + entry.outboxEntry().id());
            });
  }

  @AfterAll
  static void tearDown() {
    blocking.shutdownNow();
    redis.close();
    db.close();
  }

  private static Optional<Coupon> definition(long couponId) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      return s.getMapper(CouponMapper.class).findById(couponId);
    }
  }

  /** Defines the coupon in MySQL, makes it live, redeems order SO-1 and stores its row. */
  private static RedemptionId redeemedAndStored(Coupon c) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class).insert(c);
    }
    new CouponRepair(functions, db.database().sessions()).makeLive(c);
    RedeemOutcome.Accepted a =
        (RedeemOutcome.Accepted)
            join(
                functions.redeem(
                    new RedeemRequest(c.couponId(), "key-1", "u-1", "SO-1", 35_000), c.buckets()));
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(RedemptionMapper.class)
          .upsert(
              new RedemptionRow(
                  a.redemption().redemptionId().toString(),
                  c.couponId(),
                  "key-1",
                  "u-1",
                  "SO-1",
                  35_000,
                  a.redemption().discountCents(),
                  RedemptionStatus.ACCEPTED,
                  a.redemption().acceptedAt(),
                  null,
                  null,
                  a.outboxId()));
    }
    return a.redemption().redemptionId();
  }

  private static void deleteKeysOf(long couponId) {
    for (String key : redis.keys()) {
      if (key.contains("{" + couponId + "}")) {
        join(redis.commands().del(key));
      }
    }
  }

  private static List<Reversal.Entry> recordedOf(long couponId) {
    return recorded.stream().filter(e -> e.redemption().couponId() == couponId).toList();
  }

  @Test
  void reverse_liveCoupon_reversesAndHandsTheEntryAndTheOperatorToTheRecorder() {
    RedemptionId id = redeemedAndStored(coupon(1).stock(5).build());

    Reversal.Result<String> result = reversal.reverse(id, "order cancelled", "alice").join();

    ReverseOutcome.Reversed reversed = (ReverseOutcome.Reversed) result.outcome();
    assertThat(reversed.replayed()).isFalse();
    assertThat(reversed.redemption().status()).isEqualTo(RedemptionStatus.REVERSED);
    assertThat(result.recorded()).contains("recorded " + reversed.outboxId());
    Reversal.Entry entry = recordedOf(1).get(0);
    assertThat(entry.operator()).isEqualTo("alice");
    assertThat(entry.redemption()).isEqualTo(reversed.redemption());
    assertThat(entry.outboxEntry().id()).isEqualTo(reversed.outboxId());
    assertThat(entry.outboxEntry().isReversal()).isTrue();
    assertThat(entry.outboxEntry().field("why")).contains("order cancelled");
    assertThat(join(functions.outboxRead(1, java.time.Duration.ZERO, 10, null)))
        .anySatisfy(e -> assertThat(e).isEqualTo(entry.outboxEntry()));
    assertThat(join(functions.coupon(1)).orElseThrow().stock()).isEqualTo(5);
  }

  @Test
  void reverse_again_isAReplayThatHandsNothingOn() {
    RedemptionId id = redeemedAndStored(coupon(2).stock(5).build());
    reversal.reverse(id, null, null).join();

    Reversal.Result<String> again = reversal.reverse(id, null, null).join();

    assertThat(((ReverseOutcome.Reversed) again.outcome()).replayed()).isTrue();
    assertThat(again.recorded()).isEmpty();
    assertThat(recordedOf(2)).hasSize(1);
  }

  @Test
  void reverse_couponRedisLost_makesItLiveFromMySqlThenReverses() {
    RedemptionId id = redeemedAndStored(coupon(3).stock(5).build());
    deleteKeysOf(3);

    Reversal.Result<String> result = reversal.reverse(id, null, "bob").join();

    assertThat(result.outcome()).isInstanceOf(ReverseOutcome.Reversed.class);
    assertThat(result.recorded()).isPresent();
    assertThat(join(functions.coupon(3)).orElseThrow().reversed()).isEqualTo(1);
  }

  @Test
  void reverse_fencedCoupon_repairsItFromMySqlThenReverses() {
    RedemptionId id = redeemedAndStored(coupon(4).stock(5).build());
    join(functions.fence(4));

    Reversal.Result<String> result = reversal.reverse(id, null, null).join();

    assertThat(result.outcome()).isInstanceOf(ReverseOutcome.Reversed.class);
    assertThat(join(functions.inspect(4)).orElseThrow().fenced()).isFalse();
  }

  @Test
  void reverse_unknownRedemptionOrCoupon_isNotFoundOrCouponMissingAndRecordsNothing() {
    redeemedAndStored(coupon(5).stock(5).build());

    assertThat(reversal.reverse(RedemptionId.parse("5.SO-404.1").orElseThrow(), null, null).join())
        .isEqualTo(new Reversal.Result<String>(new ReverseOutcome.NotFound(), Optional.empty()));
    assertThat(reversal.reverse(RedemptionId.parse("999.SO-1.1").orElseThrow(), null, null).join())
        .isEqualTo(
            new Reversal.Result<String>(new ReverseOutcome.CouponMissing(), Optional.empty()));
    assertThat(recordedOf(5)).isEmpty();
    assertThat(join(functions.coupon(999))).isEmpty();
  }
}
