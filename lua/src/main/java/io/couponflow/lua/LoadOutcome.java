package io.couponflow.lua;

/** What {@code cf_load} did with a coupon definition. */
public sealed interface LoadOutcome {
  /**
   * Redis did not hold the coupon; it does now, with this stock.
   *
   * @param live true when it may decide at once; false when it was created fenced and waits for a
   *     repair (the caller passed no epoch, or the node's incarnation changed since)
   */
  record Created(long stock, boolean live) implements LoadOutcome {}

  /** The definition was newer; stock moved by {@code restockDelta}. */
  record Updated(long stock, long restockDelta) implements LoadOutcome {}

  /** Redis already holds this version or a newer one; nothing changed. */
  record Unchanged(long stock, long liveVersion) implements LoadOutcome {}

  /** Redis does not hold the coupon, and an update-only load ({@code UPDATE_ONLY}) made none. */
  record Absent() implements LoadOutcome {}

  /** The definition cannot be applied (its total is below what is already redeemed). */
  record Refused(String reason) implements LoadOutcome {}
}
