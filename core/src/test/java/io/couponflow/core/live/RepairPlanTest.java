package io.couponflow.core.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponRecords;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.RedemptionRow;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The repair's merge of what Redis and MySQL hold, rule by rule, without servers. */
class RepairPlanTest {
  private static final Instant T0 = Instant.parse("2026-11-11T00:00:00Z");
  private static final Coupon COUPON =
      new Coupon(
          42,
          "50 off 300",
          10,
          1,
          0,
          500,
          T0,
          T0.plusSeconds(86_400),
          CouponStatus.ACTIVE,
          false,
          4,
          1);

  private static RedemptionId id(String order, int gen) {
    return new RedemptionId(42, order, gen);
  }

  private static Redemption accepted(String order, int gen, String user, long at) {
    return new Redemption(
        id(order, gen), user, 1000, 500, RedemptionStatus.ACCEPTED, T0.plusMillis(at), null);
  }

  private static Redemption reversed(Redemption r, long at) {
    return new Redemption(
        r.redemptionId(),
        r.userId(),
        r.orderAmountCents(),
        r.discountCents(),
        RedemptionStatus.REVERSED,
        r.acceptedAt(),
        T0.plusMillis(at));
  }

  private static RedemptionRow row(Redemption r, String key) {
    return new RedemptionRow(
        r.redemptionId().toString(),
        42,
        key,
        r.userId(),
        r.orderId(),
        r.orderAmountCents(),
        r.discountCents(),
        r.status(),
        r.acceptedAt(),
        r.reversedAt(),
        null,
        "1-0");
  }

  /** What Redis holds when it is whole for these redemptions, keyed as given. */
  private static CouponRecords redis(Map<String, Redemption> byKey) {
    Map<RedemptionId, Redemption> redemptions = new HashMap<>();
    Map<String, Long> users = new HashMap<>();
    Map<String, RedemptionId> keys = new HashMap<>();
    byKey.forEach(
        (key, r) -> {
          redemptions.put(r.redemptionId(), r);
          keys.put(key, r.redemptionId());
          if (r.status() == RedemptionStatus.ACCEPTED) {
            users.merge(r.userId(), 1L, Long::sum);
          }
        });
    return new CouponRecords(redemptions, users, keys);
  }

  private static OutboxEntry acceptEntry(Redemption r, String key) {
    return OutboxEntry.accepted("5-0", r, key);
  }

  @Test
  void bothWhole_changesNothingAndKeepsTheCounters() {
    Redemption a = accepted("SO-1", 1, "u-1", 1);
    RepairPlan plan =
        RepairPlan.of(COUPON, List.of(row(a, "k-1")), redis(Map.of("k-1", a)), List.of());

    assertThat(plan.report().changedAnything()).isFalse();
    assertThat(plan.counters()).isEqualTo(new Counters(9, 1, 0));
    assertThat(plan.target()).isEqualTo(redis(Map.of("k-1", a)));
  }

  @Test
  void redemptionOnlyInMySql_isRestoredWithItsKeyAndUserCount() {
    Redemption a = accepted("SO-1", 1, "u-1", 1);
    Redemption lost = accepted("SO-2", 1, "u-2", 2);

    RepairPlan plan =
        RepairPlan.of(
            COUPON, List.of(row(a, "k-1"), row(lost, "k-2")), redis(Map.of("k-1", a)), List.of());

    assertThat(plan.report().restored()).containsExactly(lost.redemptionId());
    assertThat(plan.report().keysRestored()).isEqualTo(1);
    assertThat(plan.report().userCountsFixed()).isEqualTo(1);
    assertThat(plan.target()).isEqualTo(redis(Map.of("k-1", a, "k-2", lost)));
    assertThat(plan.counters()).isEqualTo(new Counters(8, 2, 0));
  }

  @Test
  void reversalOnlyInMySql_winsOverRedisAccept_andFreesTheUser() {
    Redemption a = accepted("SO-1", 1, "u-1", 1);
    Redemption r = reversed(a, 5);

    RepairPlan plan =
        RepairPlan.of(COUPON, List.of(row(r, "k-1")), redis(Map.of("k-1", a)), List.of());

    assertThat(plan.report().reversalsRestored()).containsExactly(a.redemptionId());
    assertThat(plan.target().users()).isEmpty();
    assertThat(plan.target().redemptions().get(a.redemptionId())).isEqualTo(r);
    assertThat(plan.counters()).isEqualTo(new Counters(10, 0, 1));
  }

  @Test
  void reversalOnlyInRedis_isKept_itsEntryIsOnItsWayToMySql() {
    Redemption a = accepted("SO-1", 1, "u-1", 1);
    Redemption r = reversed(a, 5);

    RepairPlan plan =
        RepairPlan.of(COUPON, List.of(row(a, "k-1")), redis(Map.of("k-1", r)), List.of());

    assertThat(plan.report().changedAnything()).isFalse();
    assertThat(plan.target().redemptions().get(a.redemptionId())).isEqualTo(r);
    assertThat(plan.counters()).isEqualTo(new Counters(10, 0, 1));
  }

  @Test
  void redemptionOnlyInRedis_isKept_andListedUnlessItsEntryIsPending() {
    Redemption inOutbox = accepted("SO-1", 1, "u-1", 1);
    Redemption nowhere = accepted("SO-2", 1, "u-2", 2);

    RepairPlan plan =
        RepairPlan.of(
            COUPON,
            List.of(),
            redis(Map.of("k-1", inOutbox, "k-2", nowhere)),
            List.of(acceptEntry(inOutbox, "k-1")));

    assertThat(plan.report().pendingInOutbox()).isEqualTo(1);
    assertThat(plan.report().onlyInRedis()).containsExactly(nowhere.redemptionId());
    assertThat(plan.acknowledge()).isEmpty();
    assertThat(plan.counters()).isEqualTo(new Counters(8, 2, 0));
  }

  @Test
  void outboxEntryMySqlHolds_isAcknowledged_oneUnderAnotherKeyIsAContradiction() {
    Redemption a = accepted("SO-1", 1, "u-1", 1);
    Redemption b = accepted("SO-2", 1, "u-2", 2);

    RepairPlan plan =
        RepairPlan.of(
            COUPON,
            List.of(row(a, "k-1"), row(b, "k-2")),
            redis(Map.of("k-1", a, "k-2", b)),
            List.of(acceptEntry(a, "k-1"), acceptEntry(b, "other")));

    assertThat(plan.acknowledge()).containsExactly(acceptEntry(a, "k-1"));
    assertThat(plan.report().contradictions())
        .extracting(RepairReport.Contradiction::kind)
        .containsExactly(RepairReport.Kind.OUTBOX);
  }

  @Test
  void sameIdWithOtherFacts_keepsMySqlsAndReportsIt() {
    Redemption mysql = accepted("SO-1", 1, "u-1", 1);
    Redemption redisOwn = accepted("SO-1", 1, "u-9", 7);

    RepairPlan plan =
        RepairPlan.of(
            COUPON, List.of(row(mysql, "k-1")), redis(Map.of("k-9", redisOwn)), List.of());

    assertThat(plan.target().redemptions().get(mysql.redemptionId())).isEqualTo(mysql);
    assertThat(plan.report().contradictions())
        .extracting(RepairReport.Contradiction::kind)
        .containsExactly(RepairReport.Kind.REDEMPTION);
    assertThat(plan.target().users()).containsExactly(Map.entry("u-1", 1L));
    assertThat(plan.target().keys())
        .containsEntry("k-1", mysql.redemptionId())
        .containsEntry("k-9", mysql.redemptionId());
  }

  @Test
  void keyLeadingElsewhereInRedis_followsMySqlAndIsReported() {
    Redemption a = accepted("SO-1", 1, "u-1", 1);
    Redemption b = accepted("SO-2", 1, "u-2", 2);

    RepairPlan plan =
        RepairPlan.of(
            COUPON,
            List.of(row(a, "k-1"), row(b, "k-2")),
            new CouponRecords(
                Map.of(a.redemptionId(), a, b.redemptionId(), b),
                Map.of("u-1", 1L, "u-2", 1L),
                Map.of("k-1", b.redemptionId(), "k-2", b.redemptionId())),
            List.of());

    assertThat(plan.target().keys()).containsEntry("k-1", a.redemptionId());
    assertThat(plan.report().contradictions())
        .extracting(RepairReport.Contradiction::kind)
        .containsExactly(RepairReport.Kind.KEY);
  }

  @Test
  void orderWithTwoAcceptedGenerations_isReported() {
    Redemption first = accepted("SO-1", 1, "u-1", 1);
    Redemption second = accepted("SO-1", 2, "u-2", 2);

    RepairPlan plan =
        RepairPlan.of(COUPON, List.of(row(first, "k-1")), redis(Map.of("k-2", second)), List.of());

    assertThat(plan.report().contradictions())
        .extracting(RepairReport.Contradiction::kind)
        .containsExactly(RepairReport.Kind.ORDER);
    assertThat(plan.counters().accepted()).isEqualTo(2);
  }

  @Test
  void moreAcceptedThanTheTotal_goesLiveWithNoStockAndSaysByHowMuch() {
    Map<String, Redemption> many = new HashMap<>();
    List<RedemptionRow> rows = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      Redemption r = accepted("SO-" + i, 1, "u-" + i, i);
      many.put("k-" + i, r);
      rows.add(row(r, "k-" + i));
    }

    RepairPlan plan = RepairPlan.of(COUPON, rows, CouponRecords.empty(), List.of());

    assertThat(plan.counters()).isEqualTo(new Counters(0, 12, 0));
    assertThat(plan.report().oversoldBy()).isEqualTo(2);
    assertThat(plan.report().restored()).hasSize(12);
  }

  @Test
  void userCountRedisLost_orKeptTooHigh_isSetToWhatTheRedemptionsImply() {
    Redemption a = accepted("SO-1", 1, "u-1", 1);

    RepairPlan plan =
        RepairPlan.of(
            COUPON,
            List.of(row(a, "k-1")),
            new CouponRecords(
                Map.of(a.redemptionId(), a),
                Map.of("u-1", 3L, "ghost", 1L),
                Map.of("k-1", a.redemptionId())),
            List.of());

    assertThat(plan.target().users()).containsExactly(Map.entry("u-1", 1L));
    assertThat(plan.report().userCountsFixed()).isEqualTo(2);
  }
}
