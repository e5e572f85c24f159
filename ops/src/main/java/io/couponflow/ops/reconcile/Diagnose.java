package io.couponflow.ops.reconcile;

import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * From one read of a coupon to what disagrees and what {@code --apply} does about it. Pure: no I/O,
 * so every case is unit-tested without servers.
 *
 * <p>The invariant: Redis's accepted counter equals MySQL's ACCEPTED rows plus the accepts pending
 * in the outbox minus the reversals pending there; its reversed counter equals the REVERSED rows
 * plus the pending reversals; its stock equals total minus accepted, and never less than 0 (a
 * coupon oversold by an older version goes live with stock 0, and a note says by how much). When
 * the counters disagree, the records on both sides name the cause: rows MySQL lacks, records Redis
 * lost.
 *
 * <p>The repairs: rows MySQL lacks are written from Redis's records; anything wrong with Redis's
 * records or counters is repaired by fencing the coupon and making it live from MySQL ({@link
 * Action.MakeLive}), which is exact whatever the cause; a coupon Redis lost, or one it holds fenced
 * (it restarted or failed over since the coupon was last verified), is made live the same way.
 */
public final class Diagnose {
  private static final Comparator<RedemptionRow> BY_ROW_ID =
      Comparator.comparing(RedemptionRow::redemptionId);

  private Diagnose() {}

  /**
   * Whether a read must walk the coupon's records, having read its counters: when they disagree
   * with MySQL, when the coupon is fenced (to say what Redis lost), or always with {@code deep}.
   */
  public static boolean needsRecords(CouponState state, boolean deep) {
    if (state.definition().isEmpty() || state.live().isEmpty()) {
      return false;
    }
    Counters seen = CouponState.countersOf(state.live().get());
    Counters expected = expected(state.live().get(), state.rows());
    return deep
        || state.live().get().fenced()
        || seen.accepted() != expected.accepted()
        || seen.reversed() != expected.reversed();
  }

  /**
   * The findings and the actions of one read.
   *
   * @param grace outbox entries younger than this are in flight, not drift
   */
  public static Diagnosis of(CouponState state, Duration grace) {
    if (state.definition().isEmpty()) {
      return new Diagnosis(
          state
              .live()
              .<List<Finding>>map(
                  i -> List.of(new Finding.NotInMySql(i.coupon().stock(), i.coupon().accepted())))
              .orElse(List.of()),
          null,
          List.of());
    }
    Coupon definition = state.definition().get();
    if (state.live().isEmpty()) {
      RedemptionCounts rows = state.rows();
      List<Finding> findings = new ArrayList<>();
      findings.add(
          rows.accepted() + rows.reversed() > 0
              ? new Finding.RedisLost(rows.accepted(), rows.reversed())
              : new Finding.NotInRedis());
      oversold(rows.accepted(), definition.totalStock()).ifPresent(findings::add);
      return new Diagnosis(findings, null, List.of(new Action.MakeLive(definition, false)));
    }
    CouponInspection inspection = state.live().get();
    LiveCoupon live = inspection.coupon();
    List<Finding> findings = new ArrayList<>();
    List<Action> actions = new ArrayList<>();
    if (inspection.fenced()) {
      findings.add(new Finding.Fenced());
    }
    boolean behind = live.definition().version() < definition.version();
    if (behind) {
      findings.add(
          new Finding.DefinitionBehind(
              live.definition().version(),
              live.definition().totalStock(),
              live.definition().status(),
              definition.version(),
              definition.totalStock(),
              definition.status()));
    }
    if (inspection.pending() > 0 && inspection.oldestPendingAge().compareTo(grace) >= 0) {
      findings.add(
          new Finding.OutboxNotDrained(
              inspection.pending(),
              inspection.pendingAccepts(),
              inspection.pendingReversals(),
              inspection.oldestPendingAge()));
    }
    if (inspection.pending() > 0) {
      actions.add(new Action.ReplayOutbox(state.couponId(), inspection.pending()));
    }
    Counters seen = CouponState.countersOf(inspection);
    Counters expected = expected(inspection, state.rows());
    Counters truth = expected;
    boolean recordsLost = false;
    if (state.records().isPresent()) {
      Walk walk = walk(state.records().get());
      if (!walk.missingInMySql().isEmpty()) {
        findings.add(
            new Finding.RowsMissingInMySql(
                walk.missingInMySql().stream().map(RedemptionRow::redemptionId).toList()));
      }
      if (!walk.reversalsMissingInMySql().isEmpty()) {
        findings.add(
            new Finding.ReversalsMissingInMySql(
                walk.reversalsMissingInMySql().stream()
                    .map(r -> r.redemptionId().toString())
                    .toList()));
      }
      if (!walk.missingInRedis().isEmpty()) {
        findings.add(
            new Finding.RecordsMissingInRedis(
                walk.missingInRedis().stream().map(RedemptionRow::redemptionId).toList()));
      }
      if (!walk.reversalsMissingInRedis().isEmpty()) {
        findings.add(
            new Finding.ReversalsMissingInRedis(
                walk.reversalsMissingInRedis().stream().map(RedemptionRow::redemptionId).toList()));
      }
      recordsLost = !walk.missingInRedis().isEmpty() || !walk.reversalsMissingInRedis().isEmpty();
      if (!walk.missingInMySql().isEmpty()) {
        actions.add(new Action.WriteRows(walk.missingInMySql()));
      }
      if (!walk.reversalsMissingInMySql().isEmpty()) {
        actions.add(new Action.MarkReversed(walk.reversalsMissingInMySql()));
      }
      truth = walk.adjust(expected, live.definition().totalStock());
    }
    boolean countersWrong = !seen.equals(truth);
    if (countersWrong) {
      findings.add(
          new Finding.CounterWrong(
              seen, truth, !truth.equals(expected), live.definition().totalStock()));
    }
    oversold(truth.accepted(), live.definition().totalStock()).ifPresent(findings::add);
    if (inspection.fenced()) {
      actions.add(new Action.MakeLive(definition, false));
    } else if (recordsLost || countersWrong) {
      actions.add(new Action.MakeLive(definition, true));
    } else if (behind) {
      actions.add(0, new Action.LoadDefinition(definition));
    }
    Diagnosis diagnosis = new Diagnosis(findings, expected, List.of());
    return diagnosis.consistent() ? diagnosis : new Diagnosis(findings, expected, actions);
  }

  /**
   * The diagnosis of the last of {@code reads} reads that never agreed ({@link
   * Diagnosis#agreesWith}): its findings, said to be unsettled, and nothing to do.
   */
  public static Diagnosis unsettled(Diagnosis last, int reads) {
    List<Finding> findings = new ArrayList<>(last.findings());
    findings.add(new Finding.Unsettled(reads));
    return new Diagnosis(findings, last.expected(), List.of());
  }

  /** The counters MySQL's rows and the pending outbox entries imply. */
  static Counters expected(CouponInspection inspection, RedemptionCounts rows) {
    long accepted = rows.accepted() + inspection.pendingAccepts() - inspection.pendingReversals();
    return counters(
        inspection.coupon().definition().totalStock(),
        accepted,
        rows.reversed() + inspection.pendingReversals());
  }

  /** Stock is what is left of the total, never less than 0. */
  private static Counters counters(long total, long accepted, long reversed) {
    return new Counters(Math.max(0, total - accepted), accepted, reversed);
  }

  private static Optional<Finding> oversold(long accepted, long total) {
    return accepted > total
        ? Optional.of(new Finding.Oversold(accepted - total, accepted, total))
        : Optional.empty();
  }

  /**
   * What the records on both sides show.
   *
   * @param missingInMySql rows MySQL lacks, rebuilt from Redis's records
   * @param reversalsMissingInMySql reversals Redis records on rows MySQL holds as ACCEPTED
   * @param missingInRedis rows whose record Redis lost
   * @param reversalsMissingInRedis REVERSED rows whose record Redis holds as accepted
   */
  private record Walk(
      List<RedemptionRow> missingInMySql,
      List<Redemption> reversalsMissingInMySql,
      List<RedemptionRow> missingInRedis,
      List<RedemptionRow> reversalsMissingInRedis) {

    /** The counters Redis should hold once the missing rows are in MySQL. */
    Counters adjust(Counters expected, long total) {
      long accepted = expected.accepted();
      long reversed = expected.reversed();
      for (RedemptionRow row : missingInMySql) {
        if (row.status() == RedemptionStatus.REVERSED) {
          reversed++;
        } else {
          accepted++;
        }
      }
      accepted -= reversalsMissingInMySql.size();
      reversed += reversalsMissingInMySql.size();
      return counters(total, accepted, reversed);
    }
  }

  private static Walk walk(CouponState.Records records) {
    Map<String, RedemptionRow> after = new HashMap<>();
    records.rowsAfter().forEach(r -> after.put(r.redemptionId(), r));
    Set<String> pendingAccepts = new HashSet<>();
    Set<String> pendingReversals = new HashSet<>();
    for (OutboxEntry e : records.outbox()) {
      String id = e.field("r").orElse("");
      if (e.isAccept()) {
        pendingAccepts.add(id);
      } else if (e.isReversal()) {
        pendingReversals.add(id);
      }
    }
    Map<String, String> keys = new HashMap<>();
    records.redis().keys().forEach((key, id) -> keys.put(id.toString(), key));
    List<RedemptionRow> missingInMySql = new ArrayList<>();
    List<Redemption> reversalsMissing = new ArrayList<>();
    for (Redemption record : records.redis().redemptions().values()) {
      String id = record.redemptionId().toString();
      boolean reversed = record.status() == RedemptionStatus.REVERSED;
      RedemptionRow row = after.get(id);
      if (row == null) {
        if (!pendingAccepts.contains(id)) {
          boolean reversedHere = reversed && !pendingReversals.contains(id);
          missingInMySql.add(rowOf(record, reversedHere, keys.get(id)));
        }
      } else if (reversed
          && row.status() == RedemptionStatus.ACCEPTED
          && !pendingReversals.contains(id)) {
        reversalsMissing.add(record);
      }
    }
    Map<RedemptionId, Redemption> inRedis = records.redis().redemptions();
    List<RedemptionRow> missingInRedis = new ArrayList<>();
    List<RedemptionRow> reversalsMissingInRedis = new ArrayList<>();
    for (RedemptionRow row : records.rowsBefore()) {
      Redemption record = RedemptionId.parse(row.redemptionId()).map(inRedis::get).orElse(null);
      if (record == null) {
        missingInRedis.add(row);
      } else if (row.status() == RedemptionStatus.REVERSED
          && record.status() == RedemptionStatus.ACCEPTED) {
        reversalsMissingInRedis.add(row);
      }
    }
    missingInMySql.sort(BY_ROW_ID);
    reversalsMissing.sort(Comparator.comparing(r -> r.redemptionId().toString()));
    missingInRedis.sort(BY_ROW_ID);
    reversalsMissingInRedis.sort(BY_ROW_ID);
    return new Walk(missingInMySql, reversalsMissing, missingInRedis, reversalsMissingInRedis);
  }

  /** The row of a record MySQL lacks: REVERSED only when no pending reversal will mark it so. */
  private static RedemptionRow rowOf(Redemption r, boolean reversed, String idempotencyKey) {
    String id = r.redemptionId().toString();
    return new RedemptionRow(
        id,
        r.couponId(),
        idempotencyKey == null ? "reconciled:" + id : idempotencyKey,
        r.userId(),
        r.orderId(),
        r.orderAmountCents(),
        r.discountCents(),
        reversed ? RedemptionStatus.REVERSED : RedemptionStatus.ACCEPTED,
        r.acceptedAt(),
        reversed ? r.reversedAt() : null,
        null,
        "reconciled-" + r.acceptedAt().toEpochMilli());
  }
}
