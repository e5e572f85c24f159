package io.couponflow.lua;

/** What {@code cf_load} did with a coupon definition. */
public sealed interface LoadOutcome {
  /** The coupon was not live; it is now, with this stock. */
  record Created(long stock) implements LoadOutcome {}

  /** The definition was newer; stock moved by {@code restockDelta}. */
  record Updated(long stock, long restockDelta) implements LoadOutcome {}

  /** Redis already holds this version or a newer one; nothing changed. */
  record Unchanged(long stock, long liveVersion) implements LoadOutcome {}

  /** The definition cannot be applied (its total is below what is already redeemed). */
  record Refused(String reason) implements LoadOutcome {}
}
