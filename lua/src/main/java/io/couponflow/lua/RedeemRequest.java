package io.couponflow.lua;

import io.couponflow.model.RedemptionId;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One redemption attempt, already checked against the API's rules: an idempotency key of 1-128
 * characters of {@code A-Z a-z 0-9 . _ : -}, user and order ids of 1-64 characters of {@code A-Z
 * a-z 0-9 _ -}, and an order amount of 0..10^12 cents.
 */
public record RedeemRequest(
    long couponId, String idempotencyKey, String userId, String orderId, long orderAmountCents) {
  public static final Pattern IDEMPOTENCY_KEY = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  public static final long MAX_AMOUNT_CENTS = 1_000_000_000_000L;

  public RedeemRequest {
    if (couponId <= 0) {
      throw new IllegalArgumentException("couponId: " + couponId + " (expected: > 0)");
    }
    Objects.requireNonNull(idempotencyKey, "idempotencyKey");
    if (!IDEMPOTENCY_KEY.matcher(idempotencyKey).matches()) {
      throw new IllegalArgumentException(
          "idempotencyKey: must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    Objects.requireNonNull(userId, "userId");
    if (!RedemptionId.ID_TEXT.matcher(userId).matches()) {
      throw new IllegalArgumentException("userId: must be 1-64 characters of A-Z a-z 0-9 _ -");
    }
    Objects.requireNonNull(orderId, "orderId");
    if (!RedemptionId.ID_TEXT.matcher(orderId).matches()) {
      throw new IllegalArgumentException("orderId: must be 1-64 characters of A-Z a-z 0-9 _ -");
    }
    if (orderAmountCents < 0 || orderAmountCents > MAX_AMOUNT_CENTS) {
      throw new IllegalArgumentException(
          "orderAmountCents: " + orderAmountCents + " (expected: 0.." + MAX_AMOUNT_CENTS + ")");
    }
  }
}
