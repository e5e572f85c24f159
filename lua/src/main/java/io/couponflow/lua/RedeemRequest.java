package io.couponflow.lua;

import io.couponflow.model.Ids;
import java.util.Objects;

/**
 * One redemption attempt, already checked against the API's rules: an idempotency key and user and
 * order ids as {@link Ids} defines them, and an order amount of 0..10^12 cents.
 */
public record RedeemRequest(
    long couponId, String idempotencyKey, String userId, String orderId, long orderAmountCents) {
  public static final long MAX_AMOUNT_CENTS = 1_000_000_000_000L;

  public RedeemRequest {
    if (couponId <= 0) {
      throw new IllegalArgumentException("couponId: " + couponId + " (expected: > 0)");
    }
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    if (!Ids.isIdempotencyKey(idempotencyKey)) {
      throw new IllegalArgumentException("idempotencyKey: must be " + Ids.KEY_RULE);
    }
    Objects.requireNonNull(userId, "userId");
    if (!Ids.isId(userId)) {
      throw new IllegalArgumentException("userId: must be " + Ids.ID_RULE);
    }
    Objects.requireNonNull(orderId, "orderId");
    if (!Ids.isId(orderId)) {
      throw new IllegalArgumentException("orderId: must be " + Ids.ID_RULE);
    }
    if (orderAmountCents < 0 || orderAmountCents > MAX_AMOUNT_CENTS) {
      throw new IllegalArgumentException(
          "orderAmountCents: " + orderAmountCents + " (expected: 0.." + MAX_AMOUNT_CENTS + ")");
    }
  }
}
