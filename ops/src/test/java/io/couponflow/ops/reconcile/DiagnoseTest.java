package io.couponflow.ops.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.CouponRecords;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link Diagnose} case by case, without servers: one test per kind of drift. */
class DiagnoseTest {
  private static final long ID = 7;
  private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");
  private static final Duration GRACE = Duration.ofSeconds(10);

  @Test
  void consistent_countersAgreeWithRowsAndOutbox_findsNothingAndPlansNothing() {
    Given given = new Given(10).stored("SO-1").stored("SO-2").pendingAccept("SO-3", 1);

    Diagnosis d = given.diagnose();

    assertThat(d.findings()).isEmpty();
    assertThat(d.actions()).isEmpty();
    assertThat(d.expected()).isEqualTo(new Counters(7, 3, 0));
    assertThat(Diagnose.needsRecords(given.state(), false)).isFalse();
    assertThat(Diagnose.needsRecords(given.state(), true)).isTrue();
  }

  @Test
  void notInMySql_redisHoldsACouponMySqlDoesNotDefine_isLeftToAPerson() {
    Given given = new Given(10).stored("SO-1");
    CouponState state = given.state();
    CouponState onlyInRedis =
        new CouponState(ID, Optional.empty(), state.rows(), state.live(), Optional.empty());

    Diagnosis d = Diagnose.of(onlyInRedis, GRACE);

    assertThat(d.findings()).containsExactly(new Finding.NotInMySql(9, 1));
    assertThat(d.actions()).isEmpty();
  }

  @Test
  void notInRedis_neverLoaded_makesItLive() {
    CouponState state =
        new CouponState(
            ID,
            Optional.of(coupon(10, 1)),
            new RedemptionCounts(ID, 0, 0),
            Optional.empty(),
            Optional.empty());

    Diagnosis d = Diagnose.of(state, GRACE);

    assertThat(d.findings()).containsExactly(new Finding.NotInRedis());
    assertThat(d.actions()).containsExactly(new Action.MakeLive(coupon(10, 1), false));
  }

  @Test
  void redisLost_rowsButNothingInRedis_makesItLiveFromMySql() {
    CouponState state =
        new CouponState(
            ID,
            Optional.of(coupon(10, 1)),
            new RedemptionCounts(ID, 2, 1),
            Optional.empty(),
            Optional.empty());

    Diagnosis d = Diagnose.of(state, GRACE);

    assertThat(d.findings()).containsExactly(new Finding.RedisLost(2, 1));
    assertThat(d.actions()).containsExactly(new Action.MakeLive(coupon(10, 1), false));
  }

  @Test
  void redisLost_moreAcceptedRowsThanStock_notesTheOversell() {
    CouponState state =
        new CouponState(
            ID,
            Optional.of(coupon(10, 1)),
            new RedemptionCounts(ID, 13, 0),
            Optional.empty(),
            Optional.empty());

    Diagnosis d = Diagnose.of(state, GRACE);

    assertThat(d.findings())
        .containsExactly(new Finding.RedisLost(13, 0), new Finding.Oversold(3, 13, 10));
    assertThat(d.actions()).containsExactly(new Action.MakeLive(coupon(10, 1), false));
  }

  @Test
  void definitionBehind_redisAppliedAnOlderVersion_loadsMySqlsDefinition() {
    Given given = new Given(10).stored("SO-1").definedAs(coupon(20, 2));

    Diagnosis d = given.diagnose();

    assertThat(d.findings())
        .containsExactly(
            new Finding.DefinitionBehind(1, 10, CouponStatus.ACTIVE, 2, 20, CouponStatus.ACTIVE));
    assertThat(d.actions()).containsExactly(new Action.LoadDefinition(coupon(20, 2)));
  }

  @Test
  void definitionBehind_withCountersWrong_isLoadedByTheRepairAlone() {
    Given given = new Given(10).stored("SO-1").stock(3).definedAs(coupon(20, 2));

    Diagnosis d = given.diagnose();

    assertThat(d.actions()).containsExactly(new Action.MakeLive(coupon(20, 2), true));
  }

  @Test
  void outboxNotDrained_entriesOlderThanTheGrace_areReplayed() {
    Given young = new Given(10).stored("SO-1").pendingAccept("SO-2", 9_000);
    Given old = new Given(10).stored("SO-1").pendingAccept("SO-2", 25_000);

    assertThat(young.diagnose().findings()).isEmpty();
    Diagnosis d = old.diagnose();

    assertThat(d.findings())
        .containsExactly(new Finding.OutboxNotDrained(1, 1, 0, Duration.ofSeconds(25)));
    assertThat(d.actions()).contains(new Action.ReplayOutbox(ID, 1));
  }

  @Test
  void rowMissingInMySql_aRecordNeitherInMySqlNorInTheOutbox_isWrittenWithItsKey() {
    Given given = new Given(10).stored("SO-1").stored("SO-2").rowDeleted("SO-2");

    assertThat(Diagnose.needsRecords(given.countersOnly(), false)).isTrue();
    Diagnosis d = given.diagnose();

    assertThat(d.findings()).containsExactly(new Finding.RowsMissingInMySql(List.of("7.SO-2.1")));
    assertThat(d.actions()).noneMatch(a -> a instanceof Action.MakeLive);
    RedemptionRow row = given.row("SO-2");
    assertThat(d.actions())
        .contains(
            new Action.WriteRows(
                List.of(
                    new RedemptionRow(
                        "7.SO-2.1",
                        ID,
                        "key-SO-2",
                        "u-SO-2",
                        "SO-2",
                        5000,
                        500,
                        RedemptionStatus.ACCEPTED,
                        row.acceptedAt(),
                        null,
                        null,
                        "reconciled-" + row.acceptedAt().toEpochMilli()))));
  }

  @Test
  void rowMissingInMySql_aReversalMySqlStillShowsAccepted_isMarked() {
    Given given = new Given(10).stored("SO-1").stored("SO-2").reversedInRedisOnly("SO-2");

    Diagnosis d = given.diagnose();

    assertThat(d.findings())
        .containsExactly(new Finding.ReversalsMissingInMySql(List.of("7.SO-2.1")));
    assertThat(d.actions())
        .anySatisfy(
            a ->
                assertThat(a)
                    .isInstanceOfSatisfying(
                        Action.MarkReversed.class,
                        m ->
                            assertThat(m.reversals())
                                .extracting(r -> r.redemptionId().toString())
                                .containsExactly("7.SO-2.1")));
  }

  @Test
  void recordMissingInRedis_aRowWithoutARecord_fencesAndRepairsFromMySql() {
    Given given = new Given(10).stored("SO-1").stored("SO-2").recordLost("SO-2");

    Diagnosis d = given.diagnose();

    assertThat(d.findings())
        .containsExactly(
            new Finding.RecordsMissingInRedis(List.of("7.SO-2.1")),
            new Finding.CounterWrong(new Counters(9, 1, 0), new Counters(8, 2, 0), false, 10));
    assertThat(d.actions()).containsExactly(new Action.MakeLive(coupon(10, 1), true));
  }

  @Test
  void recordMissingInRedis_aReversalRedisLost_fencesAndRepairsFromMySql() {
    Given given = new Given(10).stored("SO-1").stored("SO-2").reversedInMySqlOnly("SO-2");

    Diagnosis d = given.diagnose();

    assertThat(d.findings())
        .containsExactly(
            new Finding.ReversalsMissingInRedis(List.of("7.SO-2.1")),
            new Finding.CounterWrong(new Counters(8, 2, 0), new Counters(9, 1, 1), false, 10));
    assertThat(d.actions()).contains(new Action.MakeLive(coupon(10, 1), true));
  }

  @Test
  void counterWrong_stockKnockedOff_fencesAndRepairsFromMySql() {
    Given given = new Given(10).stored("SO-1").stock(999);

    Diagnosis d = given.diagnose();

    assertThat(d.findings())
        .containsExactly(
            new Finding.CounterWrong(new Counters(999, 1, 0), new Counters(9, 1, 0), false, 10));
    assertThat(d.actions()).containsExactly(new Action.MakeLive(coupon(10, 1), true));
  }

  @Test
  void oversold_rowsBeyondTheTotalThatRedisLost_repairsToStockZeroAndSaysByHowMuch() {
    Given given = new Given(2).stored("SO-1").stored("SO-2").rowOnly("SO-3").rowOnly("SO-4");

    Diagnosis d = given.diagnose();

    assertThat(d.findings())
        .containsExactly(
            new Finding.RecordsMissingInRedis(List.of("7.SO-3.1", "7.SO-4.1")),
            new Finding.CounterWrong(new Counters(0, 2, 0), new Counters(0, 4, 0), false, 2),
            new Finding.Oversold(2, 4, 2));
    assertThat(d.expected()).isEqualTo(new Counters(0, 4, 0));
    assertThat(d.consistent()).isFalse();
    assertThat(d.actions()).contains(new Action.MakeLive(coupon(2, 1), true));
  }

  @Test
  void oversold_onceRepaired_isANoteAndTheCouponIsConsistent() {
    Given given = new Given(2).stored("SO-1").stored("SO-2").stored("SO-3").stock(0);

    Diagnosis d = given.diagnose();

    assertThat(d.findings()).containsExactly(new Finding.Oversold(1, 3, 2));
    assertThat(d.consistent()).isTrue();
    assertThat(d.actions()).isEmpty();
  }

  @Test
  void fenced_nothingLost_isRepairedFromMySqlWithoutFencingAgain() {
    Given given = new Given(10).stored("SO-1").fenced();

    assertThat(Diagnose.needsRecords(given.countersOnly(), false)).isTrue();
    Diagnosis d = given.diagnose();

    assertThat(d.findings()).containsExactly(new Finding.Fenced());
    assertThat(d.consistent()).isFalse();
    assertThat(d.actions()).containsExactly(new Action.MakeLive(coupon(10, 1), false));
  }

  @Test
  void fenced_afterLosingAWrite_namesWhatRedisLost() {
    Given given = new Given(10).stored("SO-1").stored("SO-2").recordLost("SO-2").fenced();

    Diagnosis d = given.diagnose();

    assertThat(d.findings())
        .containsExactly(
            new Finding.Fenced(),
            new Finding.RecordsMissingInRedis(List.of("7.SO-2.1")),
            new Finding.CounterWrong(new Counters(9, 1, 0), new Counters(8, 2, 0), false, 10));
    assertThat(d.actions()).contains(new Action.MakeLive(coupon(10, 1), false));
  }

  @Test
  void unsettled_readsThatNeverAgreed_keepTheLastFindingsAndPlanNothing() {
    Diagnosis last = new Given(10).stored("SO-1").stock(990).diagnose();

    Diagnosis d = Diagnose.unsettled(last, 10);

    assertThat(d.findings())
        .containsExactly(
            new Finding.CounterWrong(new Counters(990, 1, 0), new Counters(9, 1, 0), false, 10),
            new Finding.Unsettled(10));
    assertThat(d.consistent()).isFalse();
    assertThat(d.actions()).isEmpty();
    assertThat(last.actions()).isNotEmpty();
  }

  @Test
  void agreesWith_trafficMovedCountersAndTruthAlike_agrees_anotherDifferenceDoesNot() {
    Diagnosis first = new Given(10).stored("SO-1").stock(999).diagnose();
    Diagnosis moved = new Given(10).stored("SO-1").stored("SO-2").stock(998).diagnose();
    Diagnosis other = new Given(10).stored("SO-1").stock(990).diagnose();

    assertThat(first.agreesWith(moved)).isTrue();
    assertThat(first.agreesWith(other)).isFalse();
  }

  private static Coupon coupon(long total, long version) {
    return new Coupon(
        ID,
        "coupon 7",
        total,
        1,
        1000,
        500,
        Instant.parse("2026-01-01T00:00:00Z"),
        Instant.parse("2027-01-01T00:00:00Z"),
        CouponStatus.ACTIVE,
        false,
        1,
        version);
  }

  /**
   * A coupon as both sides hold it, built up redemption by redemption, then broken in one place.
   * Redis's counters follow its records unless a test sets them.
   */
  private static final class Given {
    private final long total;
    private Coupon definition;
    private final Map<String, Redemption> redis = new HashMap<>();
    private final Map<String, RedemptionRow> rows = new HashMap<>();
    private final List<OutboxEntry> outbox = new ArrayList<>();
    private Long stock;
    private boolean fenced;

    Given(long total) {
      this.total = total;
      this.definition = coupon(total, 1);
    }

    Given definedAs(Coupon newer) {
      definition = newer;
      return this;
    }

    /** Accepted, stored in MySQL, gone from the outbox. */
    Given stored(String order) {
      Redemption r = accepted(order);
      redis.put(order, r);
      rows.put(order, rowOf(r));
      return this;
    }

    /** Accepted in Redis, its entry {@code ageMs} old in the outbox. */
    Given pendingAccept(String order, long ageMs) {
      Redemption r = accepted(order);
      redis.put(order, r);
      outbox.add(OutboxEntry.accepted((NOW.toEpochMilli() - ageMs) + "-0", r, "key-" + order));
      return this;
    }

    Given rowDeleted(String order) {
      rows.remove(order);
      return this;
    }

    Given recordLost(String order) {
      redis.remove(order);
      return this;
    }

    /** Stored in MySQL; Redis has no record of it (nor counts it). */
    Given rowOnly(String order) {
      rows.put(order, rowOf(accepted(order)));
      return this;
    }

    Given reversedInMySqlOnly(String order) {
      rows.put(order, rowOf(reversed(redis.get(order))));
      return this;
    }

    Given reversedInRedisOnly(String order) {
      redis.put(order, reversed(redis.get(order)));
      return this;
    }

    private static Redemption reversed(Redemption r) {
      return new Redemption(
          r.redemptionId(),
          r.userId(),
          r.orderAmountCents(),
          r.discountCents(),
          RedemptionStatus.REVERSED,
          r.acceptedAt(),
          r.acceptedAt().plusSeconds(1));
    }

    /** Redis restarted or failed over since the coupon was last verified. */
    Given fenced() {
      fenced = true;
      return this;
    }

    Given stock(long value) {
      stock = value;
      return this;
    }

    RedemptionRow row(String order) {
      return rowOf(accepted(order, ordinal(order)));
    }

    /** The state as a read with its records walked (when {@link Diagnose} asks for them). */
    CouponState state() {
      CouponState counters = countersOnly();
      return Diagnose.needsRecords(counters, false) ? counters.withRecords(records()) : counters;
    }

    CouponState countersOnly() {
      long accepted =
          redis.values().stream().filter(r -> r.status() == RedemptionStatus.ACCEPTED).count();
      long reversed = redis.size() - accepted;
      long acceptedRows =
          rows.values().stream().filter(r -> r.status() == RedemptionStatus.ACCEPTED).count();
      long pendingAccepts = outbox.stream().filter(OutboxEntry::isAccept).count();
      long pendingReversals = outbox.size() - pendingAccepts;
      LiveCoupon live =
          new LiveCoupon(
              coupon(total, 1),
              new Counters(stock == null ? total - accepted : stock, accepted, reversed));
      CouponInspection inspection =
          new CouponInspection(
              live,
              fenced,
              outbox.size(),
              pendingAccepts,
              pendingReversals,
              outbox.stream().map(OutboxEntry::id).findFirst(),
              NOW);
      return new CouponState(
          ID,
          Optional.of(definition),
          new RedemptionCounts(ID, acceptedRows, rows.size() - acceptedRows),
          Optional.of(inspection),
          Optional.empty());
    }

    Diagnosis diagnose() {
      return Diagnose.of(state(), GRACE);
    }

    private CouponState.Records records() {
      Map<RedemptionId, Redemption> byId = new HashMap<>();
      Map<String, Long> users = new HashMap<>();
      Map<String, RedemptionId> keys = new HashMap<>();
      for (Redemption r : redis.values()) {
        byId.put(r.redemptionId(), r);
        keys.put("key-" + r.orderId(), r.redemptionId());
        if (r.status() == RedemptionStatus.ACCEPTED) {
          users.merge(r.userId(), 1L, Long::sum);
        }
      }
      List<RedemptionRow> stored = rows.values().stream().sorted(byRowId()).toList();
      return new CouponState.Records(stored, new CouponRecords(byId, users, keys), outbox, stored);
    }

    private static java.util.Comparator<RedemptionRow> byRowId() {
      return java.util.Comparator.comparing(RedemptionRow::redemptionId);
    }

    private Redemption accepted(String order) {
      return accepted(order, ordinal(order));
    }

    private static long ordinal(String order) {
      return Long.parseLong(order.substring(order.indexOf('-') + 1));
    }

    private static Redemption accepted(String order, long n) {
      return new Redemption(
          new RedemptionId(ID, order, 1),
          "u-" + order,
          5000,
          500,
          RedemptionStatus.ACCEPTED,
          NOW.minusSeconds(3600 - n),
          null);
    }

    private static RedemptionRow rowOf(Redemption r) {
      return new RedemptionRow(
          r.redemptionId().toString(),
          ID,
          "key-" + r.orderId(),
          r.userId(),
          r.orderId(),
          r.orderAmountCents(),
          r.discountCents(),
          r.status(),
          r.acceptedAt(),
          r.reversedAt(),
          null,
          r.acceptedAt().toEpochMilli() + "-0");
    }
  }
}
