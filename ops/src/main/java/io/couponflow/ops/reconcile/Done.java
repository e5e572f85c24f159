package io.couponflow.ops.reconcile;

import io.couponflow.core.live.CouponRepair;
import io.couponflow.core.live.RepairReport;
import io.couponflow.lua.Counters;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.ReconcileOutcome;
import java.util.List;

/** What one repair step of {@code reconcile --apply} did. A value: the CLI renders it. */
public sealed interface Done {

  /** A coupon Redis lost was rebuilt from MySQL and made live. */
  record Rebuilt(RepairReport report, long total) implements Done {}

  /** A coupon Redis did not hold, and MySQL had no rows of, was created live. */
  record Created(long stock) implements Done {}

  /** A gateway made the coupon live meanwhile. */
  record AlreadyLive() implements Done {}

  /** The coupon could not be made live: what {@link CouponRepair} answered. */
  record NotMadeLive(CouponRepair.Outcome outcome) implements Done {}

  /** MySQL's definition was loaded into Redis, or refused. */
  record DefinitionLoaded(long version, LoadOutcome outcome) implements Done {}

  /** Outbox entries were stored in MySQL through the sink's writer. */
  record OutboxReplayed(int stored, int deadLettered, int deferred) implements Done {}

  /** Records Redis had lost were put back from their rows. */
  record RecordsRestored(int restored) implements Done {}

  /** Rows MySQL lacked were written from Redis's records. */
  record RowsWritten(List<String> redemptionIds) implements Done {
    public RowsWritten {
      redemptionIds = List.copyOf(redemptionIds);
    }
  }

  /** MySQL refused one rebuilt row. */
  record RowRefused(String redemptionId, String reason) implements Done {}

  /** Rows were marked REVERSED as Redis records them. */
  record ReversalsMarked(int rows) implements Done {}

  /**
   * The counters were corrected.
   *
   * @param moved how many times live traffic moved them first
   */
  record CountersCorrected(Counters from, Counters to, int moved) implements Done {}

  /** The counters were left alone: a row above could not be written. */
  record CountersLeftAlone() implements Done {}

  /** The correction would make a counter negative. */
  record CountersNegative(Counters target) implements Done {}

  /** Redis refused the correction. */
  record CountersRefused(ReconcileOutcome.Status status) implements Done {}

  /** Live traffic moved the counters every time. */
  record CountersKeptMoving(int attempts) implements Done {}
}
