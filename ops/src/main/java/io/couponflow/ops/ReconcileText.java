package io.couponflow.ops;

import io.couponflow.lua.Counters;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.ops.reconcile.CouponCheck;
import io.couponflow.ops.reconcile.Done;
import io.couponflow.ops.reconcile.Finding;
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
      case DEFINITION_BEHIND -> "definition in Redis is behind MySQL";
      case OUTBOX_NOT_DRAINED -> "outbox not drained yet";
      case ROW_MISSING_IN_MYSQL -> "row missing in MySQL";
      case RECORD_MISSING_IN_REDIS -> "redemption missing in Redis";
      case COUNTER_WRONG -> "Redis counter wrong";
    };
  }

  /** One line for a finding: its cause, then the numbers and, where known, the redemption ids. */
  static String line(long couponId, Finding finding) {
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

  /** The lines for what one repair step did; none when it changed nothing worth saying. */
  static List<String> lines(CouponCheck before, Done done) {
    long id = before.couponId();
    if (done instanceof Done.Rebuilt d) {
      return List.of(
          "rebuilt coupon "
              + id
              + " in Redis from MySQL: "
              + Human.count(d.report().restored().size(), "redemption record", "redemption records")
              + " restored first, then the coupon made live with stock "
              + d.report().counters().stock()
              + " (total "
              + d.total()
              + " - "
              + d.report().counters().accepted()
              + " accepted rows)");
    }
    if (done instanceof Done.Created d) {
      return List.of(
          "loaded coupon " + id + " into Redis from MySQL: live with stock " + d.stock());
    }
    if (done instanceof Done.AlreadyLive) {
      return List.of("coupon " + id + " was made live meanwhile (by a gateway)");
    }
    if (done instanceof Done.NotMadeLive d) {
      return List.of("could not load coupon " + id + " into Redis: " + d.outcome());
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
    if (done instanceof Done.RecordsRestored d) {
      return List.of(
          "restored "
              + Human.count(d.restored(), "redemption record", "redemption records")
              + " from MySQL into Redis");
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
    if (done instanceof Done.CountersCorrected d) {
      return List.of(
          "corrected stock/accepted/reversed from "
              + counters(d.from())
              + " to "
              + counters(d.to())
              + (d.moved() > 0
                  ? " (live traffic moved them first, "
                      + Human.count(d.moved(), "time", "times")
                      + ")"
                  : ""));
    }
    if (done instanceof Done.CountersLeftAlone) {
      return List.of("counters left alone: the rows above could not be written");
    }
    if (done instanceof Done.CountersNegative d) {
      return List.of(
          "counters not corrected: "
              + counters(d.target())
              + " has a negative value (more accepted than total stock?)");
    }
    if (done instanceof Done.CountersRefused d) {
      return List.of("counters not corrected: Redis answered " + d.status());
    }
    if (done instanceof Done.CountersKeptMoving d) {
      return List.of(
          "counters not corrected: live traffic moved them "
              + d.attempts()
              + " times in a row; run reconcile again");
    }
    throw new IllegalArgumentException("no text for " + done);
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
