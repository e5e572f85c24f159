package io.couponflow.ops.reconcile;

import io.couponflow.core.live.CouponRepair;
import io.couponflow.core.live.RepairReport;
import io.couponflow.lua.LoadOutcome;
import java.time.Duration;
import java.util.List;

/** What one repair step of {@code reconcile --apply} did. A value: the CLI renders it. */
public sealed interface Done {

  /**
   * The coupon was repaired from MySQL and is live again.
   *
   * @param fenced reconcile fenced it first (it was live)
   * @param waited how long the repair waited for Redis's incarnation to settle
   */
  record Repaired(boolean fenced, RepairReport report, Duration waited) implements Done {}

  /** A coupon Redis did not hold, and MySQL had no rows of, was created live. */
  record Created(long stock) implements Done {}

  /** Another process (a gateway) made the coupon live meanwhile. */
  record AlreadyLive() implements Done {}

  /** Redis's incarnation is still too young to repair from MySQL; the coupon stays fenced. */
  record StillSettling(Duration waited, Duration remaining) implements Done {}

  /** MySQL no longer defines the coupon ({@link CouponRepair.Outcome.Unknown}). */
  record Undefined() implements Done {}

  /** The repair failed; {@code error} is the failure's message. */
  record Failed(String error) implements Done {}

  /** MySQL's definition was loaded into Redis, or refused. */
  record DefinitionLoaded(long version, LoadOutcome outcome) implements Done {}

  /** Outbox entries were stored in MySQL through the sink's writer. */
  record OutboxReplayed(int stored, int deadLettered, int deferred) implements Done {}

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

  /** Nothing was done: the reads did not settle ({@link Finding.Unsettled}). */
  record Refused(int reads) implements Done {}
}
