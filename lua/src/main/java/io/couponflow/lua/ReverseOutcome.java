package io.couponflow.lua;

import io.couponflow.model.Redemption;

/** What {@code cf_reverse} did. */
public sealed interface ReverseOutcome {
  /**
   * The redemption is reversed.
   *
   * @param replayed true when it already was, and nothing changed now
   * @param outboxId the outbox entry of this reversal; null when replayed
   */
  record Reversed(Redemption redemption, boolean replayed, String outboxId)
      implements ReverseOutcome {}

  /** No such redemption in Redis. */
  record NotFound() implements ReverseOutcome {}

  /** Redis does not hold the coupon (not loaded yet, or lost): load it, then ask again. */
  record CouponMissing() implements ReverseOutcome {}

  /** The coupon is fenced (see {@link RedeemOutcome.Fenced}); nothing changed. */
  record Fenced() implements ReverseOutcome {}
}
