package io.couponflow.core.live;

import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponRecords;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.RedemptionRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The state a fenced coupon must have in Redis before it decides again, computed from what Redis
 * and MySQL hold. Pure: no I/O, so every rule is unit-tested case by case.
 *
 * <p>The rules. A redemption either side records is kept. MySQL's facts win where they differ
 * (MySQL is the system of record; the disagreement is reported). A reversal either side records
 * wins over an accept, since a reversal is never undone. The user counts, the orders' latest
 * records, the history and the counters are derived from the redemptions kept; idempotency keys
 * MySQL holds are put back. Stock is {@code total - accepted}, and never negative: an oversold
 * coupon gets stock 0 and the report says by how much.
 *
 * @param target what Redis must hold
 * @param counters the counters the coupon goes live with
 * @param acknowledge outbox entries MySQL already holds: the repair deletes them
 */
public record RepairPlan(
    CouponRecords target, Counters counters, List<OutboxEntry> acknowledge, RepairReport report) {

  public static RepairPlan of(
      Coupon coupon, List<RedemptionRow> rows, CouponRecords redis, List<OutboxEntry> outbox) {
    Map<RedemptionId, Redemption> truth = new HashMap<>(redis.redemptions());
    Map<String, RedemptionId> keys = new HashMap<>(redis.keys());
    Map<String, RedemptionRow> rowsById = new HashMap<>();
    List<RedemptionId> restored = new ArrayList<>();
    List<RedemptionId> reversalsRestored = new ArrayList<>();
    List<RepairReport.Contradiction> contradictions = new ArrayList<>();
    int keysRestored = 0;

    for (RedemptionRow row : rows) {
      Redemption mysql = row.toRedemption();
      RedemptionId id = mysql.redemptionId();
      rowsById.put(id.toString(), row);
      Redemption inRedis = truth.get(id);
      if (inRedis == null) {
        truth.put(id, mysql);
        restored.add(id);
      } else {
        if (!sameFacts(mysql, inRedis)) {
          contradictions.add(
              new RepairReport.Contradiction(
                  RepairReport.Kind.REDEMPTION, id.toString(), facts(mysql), facts(inRedis)));
        }
        Redemption merged = merge(mysql, inRedis);
        if (merged.status() == RedemptionStatus.REVERSED
            && inRedis.status() == RedemptionStatus.ACCEPTED) {
          reversalsRestored.add(id);
        }
        truth.put(id, merged);
      }
      RedemptionId keyed = keys.get(row.idempotencyKey());
      if (keyed == null) {
        keysRestored++;
      } else if (!keyed.equals(id)) {
        contradictions.add(
            new RepairReport.Contradiction(
                RepairReport.Kind.KEY, row.idempotencyKey(), id.toString(), keyed.toString()));
      }
      keys.put(row.idempotencyKey(), id);
    }

    Set<String> pendingAccepts = new HashSet<>();
    List<OutboxEntry> acknowledge = new ArrayList<>();
    for (OutboxEntry entry : outbox) {
      String rid = entry.field("r").orElse("");
      RedemptionRow row = rowsById.get(rid);
      if (entry.isAccept()) {
        if (row == null) {
          pendingAccepts.add(rid);
        } else if (row.idempotencyKey().equals(entry.field("k").orElse(null))) {
          acknowledge.add(entry);
        } else {
          contradictions.add(
              new RepairReport.Contradiction(
                  RepairReport.Kind.OUTBOX,
                  rid + " (outbox entry " + entry.id() + ")",
                  "key " + row.idempotencyKey(),
                  "key " + entry.field("k").orElse("?")));
        }
      } else if (entry.isReversal() && row != null && row.status() == RedemptionStatus.REVERSED) {
        acknowledge.add(entry);
      }
    }

    List<RedemptionId> onlyInRedis = new ArrayList<>();
    int pending = 0;
    for (RedemptionId id : redis.redemptions().keySet()) {
      if (!rowsById.containsKey(id.toString())) {
        if (pendingAccepts.contains(id.toString())) {
          pending++;
        } else {
          onlyInRedis.add(id);
        }
      }
    }
    onlyInRedis.sort(RepairPlan::byId);
    restored.sort(RepairPlan::byId);
    reversalsRestored.sort(RepairPlan::byId);

    Map<String, Long> users = new TreeMap<>();
    Map<String, List<RedemptionId>> acceptedPerOrder = new TreeMap<>();
    long accepted = 0;
    for (Redemption r : truth.values()) {
      if (r.status() == RedemptionStatus.ACCEPTED) {
        accepted++;
        users.merge(r.userId(), 1L, Long::sum);
        acceptedPerOrder.computeIfAbsent(r.orderId(), o -> new ArrayList<>()).add(r.redemptionId());
      }
    }
    acceptedPerOrder.forEach(
        (order, ids) -> {
          if (ids.size() > 1) {
            ids.sort(RepairPlan::byId);
            contradictions.add(
                new RepairReport.Contradiction(
                    RepairReport.Kind.ORDER, order, ids.size() + " accepted: " + ids, ""));
          }
        });
    int userCountsFixed = 0;
    Set<String> everyUser = new HashSet<>(users.keySet());
    everyUser.addAll(redis.users().keySet());
    for (String user : everyUser) {
      if (!Objects.equals(users.get(user), redis.users().get(user))) {
        userCountsFixed++;
      }
    }
    long reversed = truth.size() - accepted;
    long oversoldBy = Math.max(0, accepted - coupon.totalStock());
    Counters counters =
        new Counters(Math.max(0, coupon.totalStock() - accepted), accepted, reversed);
    return new RepairPlan(
        new CouponRecords(truth, users, keys),
        counters,
        acknowledge,
        new RepairReport(
            restored,
            reversalsRestored,
            keysRestored,
            userCountsFixed,
            pending,
            onlyInRedis,
            contradictions,
            counters,
            oversoldBy));
  }

  private static boolean sameFacts(Redemption a, Redemption b) {
    return a.userId().equals(b.userId())
        && a.orderAmountCents() == b.orderAmountCents()
        && a.discountCents() == b.discountCents()
        && a.acceptedAt().equals(b.acceptedAt());
  }

  private static String facts(Redemption r) {
    return "user "
        + r.userId()
        + ", amount "
        + r.orderAmountCents()
        + ", discount "
        + r.discountCents()
        + ", accepted at "
        + r.acceptedAt();
  }

  /** MySQL's facts, reversed when either side records the reversal. */
  private static Redemption merge(Redemption mysql, Redemption redis) {
    if (mysql.status() == RedemptionStatus.REVERSED
        || redis.status() == RedemptionStatus.ACCEPTED) {
      return mysql;
    }
    return new Redemption(
        mysql.redemptionId(),
        mysql.userId(),
        mysql.orderAmountCents(),
        mysql.discountCents(),
        RedemptionStatus.REVERSED,
        mysql.acceptedAt(),
        redis.reversedAt());
  }

  private static int byId(RedemptionId a, RedemptionId b) {
    return a.toString().compareTo(b.toString());
  }
}
