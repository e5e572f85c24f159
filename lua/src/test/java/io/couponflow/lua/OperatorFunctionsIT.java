package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.model.Coupon;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.RedisSnapshot;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The operator and sink functions against a real Redis: cf_coupon, cf_inspect, cf_outbox_read,
 * cf_outbox_ack, cf_outbox_backlog, cf_members and cf_time.
 */
class OperatorFunctionsIT {
  private static final AtomicLong IDS = new AtomicLong();
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(OperatorFunctionsIT.class);
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

  private static RedeemOutcome.Accepted redeem(Coupon c, String n) {
    RedeemOutcome outcome =
        join(
            functions.redeem(
                new RedeemRequest(c.couponId(), "key-" + n, "u-" + n, "SO-" + n, 35_000),
                c.buckets()));
    assertThat(outcome).isInstanceOf(RedeemOutcome.Accepted.class);
    return (RedeemOutcome.Accepted) outcome;
  }

  private static List<String> ids(List<OutboxEntry> entries) {
    return entries.stream().map(OutboxEntry::id).toList();
  }

  @Test
  void coupon_returnsTheLiveDefinitionAndCounters_orEmpty() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10).limit(2).buckets(4));
    redeem(c, "1");

    assertThat(join(functions.coupon(c.couponId())))
        .contains(
            new LiveCoupon(
                new Coupon(
                    c.couponId(),
                    c.name(),
                    10,
                    2,
                    c.thresholdCents(),
                    c.discountCents(),
                    c.startsAt(),
                    c.endsAt(),
                    c.status(),
                    false,
                    4,
                    1),
                new Counters(9, 1, 0)));
    assertThat(join(functions.coupon(999_999))).isEqualTo(Optional.empty());
  }

  @Test
  void inspect_countsPendingAcceptsAndReversals_inOneRead() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    RedeemOutcome.Accepted first = redeem(c, "1");
    redeem(c, "2");
    RedeemOutcome.Accepted third = redeem(c, "3");
    join(functions.reverse(third.redemption().redemptionId(), c.buckets(), "x"));
    long before = redis.redisTimeMillis();
    RedisSnapshot snapshot = redis.snapshot();

    CouponInspection inspection = join(functions.inspect(c.couponId())).orElseThrow();

    assertThat(redis.snapshot()).isEqualTo(snapshot);
    assertThat(inspection.pending()).isEqualTo(4);
    assertThat(inspection.pendingAccepts()).isEqualTo(3);
    assertThat(inspection.pendingReversals()).isEqualTo(1);
    assertThat(inspection.oldestPendingId()).contains(first.outboxId());
    assertThat(inspection.redisNow().toEpochMilli()).isBetween(before, redis.redisTimeMillis());
    assertThat(inspection.coupon().stock()).isEqualTo(8);
    assertThat(inspection.coupon().accepted()).isEqualTo(2);
    assertThat(inspection.coupon().reversed()).isEqualTo(1);
    assertThat(inspection.oldestPendingAge())
        .isEqualTo(
            Duration.ofMillis(
                inspection.redisNow().toEpochMilli() - OutboxEntry.millisOf(first.outboxId())));
  }

  @Test
  void inspect_walksAnOutboxLongerThanOnePage() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(2_500).limit(1).threshold(0));
    List<CompletableFuture<RedeemOutcome>> calls = new ArrayList<>();
    for (int i = 0; i < 2_345; i++) {
      calls.add(
          functions.redeem(
              new RedeemRequest(c.couponId(), "k" + i, "u" + i, "o" + i, 1), c.buckets()));
    }
    calls.forEach(f -> assertThat(join(f)).isInstanceOf(RedeemOutcome.Accepted.class));

    CouponInspection inspection = join(functions.inspect(c.couponId())).orElseThrow();

    assertThat(inspection.pending()).isEqualTo(2_345);
    assertThat(inspection.pendingAccepts()).isEqualTo(2_345);
    assertThat(inspection.pendingReversals()).isZero();
  }

  @Test
  void inspect_emptyOutboxAndMissingCoupon() {
    Coupon c = live(coupon(IDS.incrementAndGet()));

    CouponInspection inspection = join(functions.inspect(c.couponId())).orElseThrow();

    assertThat(inspection.pending()).isZero();
    assertThat(inspection.fenced()).isFalse();
    assertThat(inspection.oldestPendingId()).isEmpty();
    assertThat(inspection.oldestPendingAge()).isEqualTo(Duration.ZERO);
    assertThat(join(functions.inspect(999_999))).isEqualTo(Optional.empty());
  }

  @Test
  void inspect_fencedCoupon_saysSoAndShowsItsCounters() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    redeem(c, "1");

    assertThat(join(functions.fence(c.couponId()))).isTrue();
    CouponInspection inspection = join(functions.inspect(c.couponId())).orElseThrow();

    assertThat(inspection.fenced()).isTrue();
    assertThat(inspection.coupon().stock()).isEqualTo(9);
    assertThat(inspection.pendingAccepts()).isEqualTo(1);
    assertThat(join(functions.fence(999_999))).isFalse();
  }

  @Test
  void readOnlyFunctions_runWithFcallRo_andWritingOnesAreRefusedThere() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    String meta = CouponKeys.meta(redis.prefix(), c.couponId());
    String outbox = CouponKeys.outbox(redis.prefix(), c.couponId());

    assertThat(fcallRo("cf_coupon", new String[] {meta})).contains("total", "10");
    assertThat(fcallRo("cf_inspect", new String[] {meta, outbox})).contains("pending", "0");
    assertThat(fcallRo("cf_outbox_read", new String[] {outbox}, "0", "10")).isEqualTo(List.of());
    assertThat(fcallRoInteger("cf_time", new String[] {outbox})).isPositive();
    assertThat(fcallRo("cf_outbox_backlog", new String[] {outbox})).startsWith("0", "");
    assertThat(fcallRo("cf_members", new String[] {functions.keys(c.couponId(), 1).history()}))
        .isEqualTo(List.of(List.of()));
    assertThat(
            fcallRo(
                "cf_load_plan",
                new String[] {meta},
                CouponFunctions.loadArgs(TestCoupons.coupon(c.couponId()).build(), 0, 0)))
        .isEqualTo(List.of("UNCHANGED", "10", "1"));
    assertThat(
            fcallRo(
                "cf_get",
                new String[] {meta, functions.keys(c.couponId(), c.buckets()).orders("o"), meta},
                "o",
                "1"))
        .isEqualTo(List.of("REDEMPTION_NOT_FOUND"));
    for (String writer :
        List.of(
            "cf_redeem",
            "cf_reverse",
            "cf_load",
            "cf_pause",
            "cf_resume",
            "cf_fence",
            "cf_outbox_ack")) {
      assertThatThrownBy(() -> fcallRo(writer, new String[] {meta}))
          .as(writer)
          .hasMessageContaining("write flag");
    }
  }

  @Test
  void time_isTheClockTheCouponsOutboxIdsAreOn() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    long before = redis.redisTimeMillis();
    RedeemOutcome.Accepted accepted = redeem(c, "1");

    Instant now = join(functions.time(c.couponId()));

    assertThat(now.toEpochMilli())
        .isGreaterThanOrEqualTo(OutboxEntry.millisOf(accepted.outboxId()))
        .isGreaterThanOrEqualTo(before)
        .isLessThanOrEqualTo(redis.redisTimeMillis());
  }

  @Test
  void outboxRead_takesOnlyEntriesOldEnoughByTheRedisClock() throws InterruptedException {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    RedeemOutcome.Accepted older = redeem(c, "1");
    Thread.sleep(400);
    RedeemOutcome.Accepted newer = redeem(c, "2");
    long now = redis.redisTimeMillis();
    Duration between = Duration.ofMillis(now - OutboxEntry.millisOf(newer.outboxId()) + 200);

    List<OutboxEntry> old = join(functions.outboxRead(c.couponId(), between, 10, null));

    assertThat(ids(old)).containsExactly(older.outboxId());
    assertThat(old.get(0))
        .isEqualTo(OutboxEntry.accepted(older.outboxId(), older.redemption(), "key-1"));
    assertThat(ids(join(functions.outboxRead(c.couponId(), Duration.ZERO, 10, null))))
        .containsExactly(older.outboxId(), newer.outboxId());
    assertThat(join(functions.outboxRead(c.couponId(), Duration.ofMinutes(1), 10, null))).isEmpty();
    assertThat(join(functions.outboxRead(c.couponId(), Duration.ofDays(100_000), 10, null)))
        .isEmpty();
  }

  @Test
  void outboxRead_pagesWithAfterId() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    List<String> all = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      all.add(redeem(c, Integer.toString(i)).outboxId());
    }

    List<String> page1 = ids(join(functions.outboxRead(c.couponId(), Duration.ZERO, 2, null)));
    List<String> page2 =
        ids(join(functions.outboxRead(c.couponId(), Duration.ZERO, 2, page1.get(1))));
    List<String> page3 =
        ids(join(functions.outboxRead(c.couponId(), Duration.ZERO, 2, page2.get(1))));
    List<String> page4 =
        ids(join(functions.outboxRead(c.couponId(), Duration.ZERO, 2, page3.get(0))));

    assertThat(page1).containsExactly(all.get(0), all.get(1));
    assertThat(page2).containsExactly(all.get(2), all.get(3));
    assertThat(page3).containsExactly(all.get(4));
    assertThat(page4).isEmpty();
    assertThat(join(functions.outboxRead(999_999, Duration.ZERO, 2, null))).isEmpty();
    assertThatThrownBy(() -> join(functions.outboxRead(c.couponId(), Duration.ZERO, 0, null)))
        .hasCauseInstanceOf(RedisReplies.LibraryErrorException.class)
        .hasMessageContaining("couponflow: argument 2 (count) must be at least 1");
  }

  @Test
  void outboxRead_reversalEntry_carriesIdTimeAndReason() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    RedeemOutcome.Accepted a = redeem(c, "1");
    ReverseOutcome.Reversed r =
        (ReverseOutcome.Reversed)
            join(functions.reverse(a.redemption().redemptionId(), c.buckets(), "order cancelled"));

    List<OutboxEntry> entries = join(functions.outboxRead(c.couponId(), Duration.ZERO, 10, null));

    assertThat(entries)
        .containsExactly(
            OutboxEntry.accepted(a.outboxId(), a.redemption(), "key-1"),
            OutboxEntry.reversed(r.outboxId(), r.redemption(), "order cancelled"));
  }

  @Test
  void outboxAck_deletesTheGivenEntries_andTheStreamDisappearsWhenEmpty() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    Coupon other = live(coupon(IDS.incrementAndGet()).stock(10));
    String a = redeem(c, "1").outboxId();
    String b = redeem(c, "2").outboxId();
    String d = redeem(c, "3").outboxId();
    redeem(other, "1");
    String outbox = CouponKeys.outbox(redis.prefix(), c.couponId());
    assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(10)))
        .contains(c.couponId(), other.couponId());

    assertThat(join(functions.outboxAck(c.couponId(), List.of(a, d, "1-1")))).isEqualTo(2);
    assertThat(ids(join(functions.outboxRead(c.couponId(), Duration.ZERO, 10, null))))
        .containsExactly(b);
    assertThat(join(functions.outboxAck(c.couponId(), List.of(a)))).isZero();
    assertThat(join(functions.outboxAck(c.couponId(), List.of()))).isZero();
    assertThat(join(redis.redis().commands().exists(outbox))).isEqualTo(1);

    assertThat(join(functions.outboxAck(c.couponId(), List.of(b)))).isEqualTo(1);

    assertThat(join(redis.redis().commands().exists(outbox))).isZero();
    assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(10)))
        .contains(other.couponId())
        .doesNotContain(c.couponId());
    assertThat(join(functions.inspect(c.couponId())).orElseThrow().pending()).isZero();
  }

  @Test
  void outboxBacklog_countsPendingEntries_andAgesTheOldestOnTheRedisClock() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    RedeemOutcome.Accepted first = redeem(c, "1");
    RedeemOutcome.Accepted second = redeem(c, "2");
    join(functions.reverse(second.redemption().redemptionId(), c.buckets(), "x"));
    long before = redis.redisTimeMillis();
    RedisSnapshot snapshot = redis.snapshot();

    OutboxBacklog backlog = join(functions.outboxBacklog(c.couponId()));

    assertThat(redis.snapshot()).isEqualTo(snapshot);
    assertThat(backlog.pending()).isEqualTo(3);
    assertThat(backlog.oldestPendingId()).contains(first.outboxId());
    assertThat(backlog.redisNow().toEpochMilli()).isBetween(before, redis.redisTimeMillis());
    assertThat(backlog.oldestPendingAge())
        .isEqualTo(
            Duration.ofMillis(
                backlog.redisNow().toEpochMilli() - OutboxEntry.millisOf(first.outboxId())));
  }

  @Test
  void outboxBacklog_emptyOrMissingOutbox_isNothingPending() {
    Coupon c = live(coupon(IDS.incrementAndGet()));

    OutboxBacklog none = join(functions.outboxBacklog(c.couponId()));
    OutboxBacklog unknown = join(functions.outboxBacklog(999_998));

    assertThat(none.pending()).isZero();
    assertThat(none.oldestPendingId()).isEmpty();
    assertThat(none.oldestPendingAge()).isEqualTo(Duration.ZERO);
    assertThat(unknown.pending()).isZero();
  }

  @Test
  void members_areEveryKeyUserAndOrderOfEveryBucket() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(100).limit(2).buckets(64));
    List<String> reversedOrders = new ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      RedeemOutcome.Accepted a = redeem(c, Integer.toString(i));
      if (i % 10 == 0) {
        join(functions.reverse(a.redemption().redemptionId(), c.buckets(), ""));
        reversedOrders.add("SO-" + i);
      }
    }
    RedisSnapshot snapshot = redis.snapshot();

    CouponMembers members = join(functions.members(c.couponId(), c.buckets()));

    assertThat(redis.snapshot()).isEqualTo(snapshot);
    List<String> keys = new ArrayList<>();
    List<String> users = new ArrayList<>();
    List<String> orders = new ArrayList<>();
    for (int i = 1; i <= 40; i++) {
      keys.add("key-" + i);
      orders.add("SO-" + i);
      if (i % 10 != 0) {
        users.add("u-" + i);
      }
    }
    assertThat(members.idempotencyKeys()).containsExactlyInAnyOrderElementsOf(keys);
    assertThat(members.users()).containsExactlyInAnyOrderElementsOf(users);
    assertThat(members.orders()).containsExactlyInAnyOrderElementsOf(orders);
    assertThat(members.orders()).containsAll(reversedOrders);
    assertThat(join(functions.members(999_997, 4)))
        .isEqualTo(new CouponMembers(java.util.Set.of(), java.util.Set.of(), java.util.Set.of()));
  }

  @Test
  void couponIds_listsEveryCouponRedisHolds_inIdOrder() {
    Coupon a = live(coupon(IDS.incrementAndGet()).stock(10));
    Coupon b = live(coupon(IDS.incrementAndGet()).stock(10));
    redeem(b, "1");

    List<Long> ids = functions.couponIds(Duration.ofSeconds(10));

    assertThat(ids).contains(a.couponId(), b.couponId()).isSorted().doesNotHaveDuplicates();
    assertThat(ids).doesNotContain(999_999L);
  }

  private static List<Object> fcallRo(String function, String[] keys, String... args) {
    return join(
        redis.commands().<List<Object>>fcallReadOnly(function, ScriptOutputType.MULTI, keys, args));
  }

  private static long fcallRoInteger(String function, String[] keys, String... args) {
    return join(
        redis.commands().<Long>fcallReadOnly(function, ScriptOutputType.INTEGER, keys, args));
  }
}
