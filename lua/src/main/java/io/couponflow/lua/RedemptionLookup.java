package io.couponflow.lua;

import io.couponflow.model.Redemption;

/** What {@code cf_get} found. */
public sealed interface RedemptionLookup {
  record Found(Redemption redemption) implements RedemptionLookup {}

  record NotFound() implements RedemptionLookup {}

  /** Redis does not hold the coupon (not loaded yet, or lost). */
  record CouponMissing() implements RedemptionLookup {}

  /** The coupon is fenced (see {@link RedeemOutcome.Fenced}): what Redis holds may be stale. */
  record Fenced() implements RedemptionLookup {}
}
