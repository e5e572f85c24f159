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
}
