package io.couponflow.lua;

import io.couponflow.model.Redemption;

/** What {@code cf_redeem} decided. */
public sealed interface RedeemOutcome {
  /** Stock was taken; the redemption is in the outbox under {@code outboxId}. */
  record Accepted(Redemption redemption, String outboxId) implements RedeemOutcome {}

  /** The key was seen with the same parameters: the first answer, and nothing changed. */
  record Replayed(Redemption redemption) implements RedeemOutcome {}

  /** Refused; nothing changed. */
  record Rejected(Rejection rejection) implements RedeemOutcome {}

  /**
   * The coupon is fenced: Redis may have lost writes since its state was last known whole (a
   * restart, a failover), so it decided nothing. Repair it from MySQL, then ask again.
   */
  record Fenced() implements RedeemOutcome {}
}
