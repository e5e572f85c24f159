package io.couponflow.lua;

/**
 * What {@code cf_reconcile} or {@code cf_reconcile_apply} saw.
 *
 * @param live the counters Redis holds now (after an applied repair, the repaired ones)
 */
public record ReconcileOutcome(Status status, Counters live) {
  public enum Status {
    /** The counters are what the caller expected. */
    MATCH,
    /** They differ from what the caller expected. */
    DRIFT,
    /** The repair was written. */
    APPLIED,
    /** Live traffic changed the counters since the caller read them; nothing was written. */
    MOVED,
    /** Redis does not hold the coupon. */
    COUPON_NOT_FOUND
  }
}
