package io.couponflow.ops;

import io.couponflow.core.live.RepairReport;
import io.couponflow.lua.Counters;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.ops.reconcile.CouponCheck;
import io.couponflow.ops.reconcile.CouponState;
import io.couponflow.ops.reconcile.Done;
import io.couponflow.ops.reconcile.Finding;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** How reconcile's findings and repairs read for people: the one place their text is made. */
final class ReconcileText {
  private static final int SHOWN_IDS = 5;

  private ReconcileText() {}

  /** What people read as the cause of a kind of drift, e.g. "row missing in MySQL". */
  static String label(Finding.Kind kind) {
    return switch (kind) {
      case REDIS_LOST -> "Redis lost the coupon (crash without AOF?)";
      case NOT_IN_REDIS -> "not live in Redis";
      case NOT_IN_MYSQL -> "in Redis but not defined in MySQL";
      case FENCED -> "fenced";
      case DEFINITION_BEHIND -> "definition in Redis is behind MySQL";
      case OUTBOX_NOT_DRAINED -> "outbox not drained yet";
      case ROW_MISSING_IN_MYSQL -> "row missing in MySQL";
      case RECORD_MISSING_IN_REDIS -> "redemption missing in Redis";
      case COUNTER_WRONG -> "Redis counter wrong";
      case OVERSOLD -> "oversold";
      case UNSETTLED -> "reads did not settle";
    };
  }

  /** One line for a finding: its cause, then the numbers and, where known, the redemption ids. */
  static String line(long couponId, Finding finding) {
    if (finding instanceof Finding.Oversold f) {
      return "oversold by " + f.by() + ": " + detail(couponId, f);
    }
    return label(finding.kind()) + ": " + detail(couponId, finding);
  }

  /** The numbers of a finding and, where known, the redemption ids. */
  static String detail(long couponId, Finding finding) {
    if (finding instanceof Finding.NotInMySql f) {
      return "Redis holds coupon "
          + couponId
          + " (stock "
          + f.stock()
          + ", accepted "
          + f.accepted()
          + ") but MySQL does not define it; a person must decide";
    }
    if (finding instanceof Finding.NotInRedis) {
      return "Redis holds nothing of it and MySQL has no rows (never loaded)";
    }
    if (finding instanceof Finding.Fenced) {
      return "Redis restarted or failed over since the coupon was last verified against MySQL;"
          + " it decides nothing until repaired from MySQL";
    }
    if (finding instanceof Finding.RedisLost f) {
      return "Redis holds nothing of it, MySQL holds "
          + f.acceptedRows()
          + " accepted and "
          + f.reversedRows()
          + " reversed rows";
    }
    if (finding instanceof Finding.DefinitionBehind f) {
      return "Redis applied version "
          + f.redisVersion()
          + " (total "
          + f.redisTotal()
          + ", "
          + f.redisStatus()
          + "), MySQL is at version "
          + f.mysqlVersion()
          + " (total "
          + f.mysqlTotal()
          + ", "
          + f.mysqlStatus()
          + ")";
    }
    if (finding instanceof Finding.OutboxNotDrained f) {
      return Human.count(f.pending(), "entry is", "entries are")
          + " not in MySQL yet ("
          + Human.count(f.accepts(), "accept", "accepts")
          + ", "
          + Human.count(f.reversals(), "reversal", "reversals")
          + "), the oldest "
          + Human.age(f.oldest().toMillis())
          + " old";
    }
    if (finding instanceof Finding.RowsMissingInMySql f) {
      return Human.count(f.redemptionIds().size(), "redemption is", "redemptions are")
          + " in Redis but neither in MySQL nor in the outbox: "
          + ids(f.redemptionIds());
    }
    if (finding instanceof Finding.ReversalsMissingInMySql f) {
      return Human.count(f.redemptionIds().size(), "reversal is", "reversals are")
          + " in Redis but MySQL still shows ACCEPTED and the outbox has none: "
          + ids(f.redemptionIds());
    }
    if (finding instanceof Finding.RecordsMissingInRedis f) {
      return Human.count(f.redemptionIds().size(), "redemption is", "redemptions are")
          + " in MySQL but has no record in Redis: "
          + ids(f.redemptionIds());
    }
    if (finding instanceof Finding.ReversalsMissingInRedis f) {
      return Human.count(f.redemptionIds().size(), "reversal is", "reversals are")
          + " in MySQL but Redis still holds the redemption as accepted: "
          + ids(f.redemptionIds());
    }
    if (finding instanceof Finding.Oversold f) {
      return f.accepted()
          + " redemptions are accepted for a total stock of "
          + f.total()
          + "; the coupon stays live with stock 0";
    }
    if (finding instanceof Finding.Unsettled f) {
      return f.reads()
          + " reads in a row disagreed (live traffic, or the sink moving rows); the drifts above"
          + " are the last read's, and --apply acts only on a read that settled";
    }
    if (finding instanceof Finding.CounterWrong f) {
      Counters seen = f.redis();
      String inside =
          seen.stock() + seen.accepted() != f.total()
              ? " (in Redis itself stock + accepted is "
                  + (seen.stock() + seen.accepted())
                  + ", total is "
                  + f.total()
                  + ")"
              : "";
      return "Redis has stock/accepted/reversed "
          + counters(seen)
          + ", MySQL and the outbox say "
          + counters(f.truth())
          + (f.countingMissingRows() ? " (counting the rows missing in MySQL)" : "")
          + inside;
    }
    throw new IllegalArgumentException("no text for " + finding);
  }

  /** The lines for what one repair step did. */
  static List<String> lines(CouponCheck before, Done done) {
    long id = before.couponId();
    if (done instanceof Done.Repaired d) {
      return repaired(before, d);
    }
    if (done instanceof Done.Created d) {
      return List.of(
          "loaded coupon " + id + " into Redis from MySQL: live with stock " + d.stock());
    }
    if (done instanceof Done.AlreadyLive) {
      return List.of("coupon " + id + " was made live meanwhile (by a gateway)");
    }
    if (done instanceof Done.StillSettling d) {
      return List.of(
          "not repaired: Redis restarted or failed over moments ago and must settle for another "
              + Human.age(d.remaining().toMillis())
              + " (COUPON_REPAIR_SETTLE; waited "
              + Human.age(d.waited().toMillis())
              + "); run reconcile again");
    }
    if (done instanceof Done.Undefined) {
      return List.of("could not load coupon " + id + " into Redis: MySQL no longer defines it");
    }
    if (done instanceof Done.Failed d) {
      return List.of("could not load coupon " + id + " into Redis: " + d.error());
    }
    if (done instanceof Done.Refused) {
      return List.of(
          "refused: the reads did not settle, so nothing was changed; run reconcile again");
    }
    if (done instanceof Done.DefinitionLoaded d) {
      return List.of(
          d.outcome() instanceof LoadOutcome.Updated updated
              ? "loaded definition version "
                  + d.version()
                  + " into Redis (stock moved by "
                  + updated.restockDelta()
                  + " to "
                  + updated.stock()
                  + ")"
              : "could not load definition version " + d.version() + ": " + d.outcome());
    }
    if (done instanceof Done.OutboxReplayed d) {
      return List.of(
          "replayed the outbox into MySQL: "
              + Human.count(d.stored(), "entry", "entries")
              + " stored"
              + (d.deadLettered() > 0 ? ", " + d.deadLettered() + " dead letters" : "")
              + (d.deferred() > 0 ? ", " + d.deferred() + " reversals wait for their accept" : ""));
    }
    if (done instanceof Done.RowsWritten d) {
      return List.of(
          "wrote "
              + Human.count(d.redemptionIds().size(), "row", "rows")
              + " rebuilt from Redis's records into MySQL: "
              + ids(d.redemptionIds()));
    }
    if (done instanceof Done.RowRefused d) {
      return List.of("MySQL refused the row " + d.redemptionId() + ": " + d.reason());
    }
    if (done instanceof Done.ReversalsMarked d) {
      return List.of(
          "marked "
              + Human.count(d.rows(), "row", "rows")
              + " REVERSED in MySQL as Redis records them");
    }
    throw new IllegalArgumentException("no text for " + done);
  }

  private static List<String> repaired(CouponCheck before, Done.Repaired d) {
    long id = before.couponId();
    RepairReport report = d.report();
    Counters now = report.counters();
    List<String> lines = new ArrayList<>();
    if (!d.waited().isZero()) {
      lines.add(
          "waited "
              + Human.age(d.waited().toMillis())
              + " for Redis to settle after a restart or failover (COUPON_REPAIR_SETTLE)");
    }
    String oversold =
        report.oversoldBy() > 0
            ? "oversold by "
                + report.oversoldBy()
                + ": "
                + now.accepted()
                + " redemptions are accepted for a total stock of "
                + total(before)
                + "; live with stock 0, so nothing more is sold"
            : null;
    if (before.live().isEmpty()) {
      lines.add(
          "rebuilt coupon "
              + id
              + " in Redis from MySQL: "
              + Human.count(report.restored().size(), "redemption record", "redemption records")
              + " restored first, then the coupon made live with stock "
              + now.stock()
              + " (total "
              + total(before)
              + " - "
              + now.accepted()
              + " accepted rows"
              + (report.oversoldBy() > 0 ? ", so none is left" : "")
              + ")");
      if (oversold != null) {
        lines.add(oversold);
      }
      return lines;
    }
    lines.add(
        d.fenced()
            ? "fenced coupon " + id + " and repaired it from MySQL"
            : "repaired coupon " + id + " from MySQL (it was fenced)");
    if (!report.restored().isEmpty()) {
      lines.add(
          "restored "
              + Human.count(report.restored().size(), "redemption record", "redemption records")
              + " from MySQL into Redis");
    }
    if (!report.reversalsRestored().isEmpty()) {
      lines.add(
          "marked "
              + Human.count(report.reversalsRestored().size(), "redemption", "redemptions")
              + " REVERSED in Redis as MySQL records them: "
              + ids(report.reversalsRestored().stream().map(Object::toString).toList()));
    }
    if (report.keysRestored() > 0 || report.userCountsFixed() > 0) {
      lines.add(
          "put back "
              + Human.count(report.keysRestored(), "idempotency key", "idempotency keys")
              + " and set "
              + Human.count(report.userCountsFixed(), "user's count", "users' counts"));
    }
    List<RepairReport.Contradiction> contradictions = report.contradictions();
    for (RepairReport.Contradiction c :
        contradictions.subList(0, Math.min(SHOWN_IDS, contradictions.size()))) {
      lines.add(contradiction(c));
    }
    if (contradictions.size() > SHOWN_IDS) {
      lines.add("and " + (contradictions.size() - SHOWN_IDS) + " more contradictions");
    }
    Counters seen = CouponState.countersOf(before.live().get());
    if (!seen.equals(now)) {
      lines.add(
          "corrected stock/accepted/reversed from " + counters(seen) + " to " + counters(now));
    }
    if (oversold != null) {
      lines.add(oversold);
    }
    if (lines.size() == 1 + (d.waited().isZero() ? 0 : 1)) {
      lines.add("Redis had lost nothing; the coupon is live again");
    }
    return lines;
  }

  private static String contradiction(RepairReport.Contradiction c) {
    return switch (c.kind()) {
      case REDEMPTION ->
          "MySQL and Redis disagree on redemption "
              + c.subject()
              + " (MySQL: "
              + c.mysql()
              + "; Redis: "
              + c.redis()
              + "): MySQL's facts kept";
      case KEY ->
          "idempotency key "
              + c.subject()
              + " leads to "
              + c.mysql()
              + " in MySQL but to "
              + c.redis()
              + " in Redis: MySQL's kept";
      case ORDER ->
          "order " + c.subject() + " holds more than one accepted redemption: " + c.mysql();
      case OUTBOX ->
          "outbox entry of "
              + c.subject()
              + " has "
              + c.redis()
              + " but MySQL holds it under "
              + c.mysql()
              + " (the sink dead-letters it)";
    };
  }

  private static long total(CouponCheck check) {
    return check.definition().map(Coupon::totalStock).orElse(0L);
  }

  /** "stock 996, accepted 4, reversed 1". */
  static String counterText(Counters c) {
    return "stock " + c.stock() + ", accepted " + c.accepted() + ", reversed " + c.reversed();
  }

  static Map<String, Object> counterFields(Counters c) {
    return Output.fields("stock", c.stock(), "accepted", c.accepted(), "reversed", c.reversed());
  }

  /** "996/4/1". */
  static String counters(Counters c) {
    return c.stock() + "/" + c.accepted() + "/" + c.reversed();
  }

  /** The first few ids, and how many more. */
  static String ids(List<String> all) {
    String shown = String.join(", ", all.subList(0, Math.min(SHOWN_IDS, all.size())));
    return all.size() > SHOWN_IDS ? shown + " and " + (all.size() - SHOWN_IDS) + " more" : shown;
  }
}
