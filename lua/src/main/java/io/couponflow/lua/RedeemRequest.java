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
    if (!isIdempotencyKey(idempotencyKey)) {
      throw new IllegalArgumentException(
          "idempotencyKey: must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    Objects.requireNonNull(userId, "userId");
    if (!isIdText(userId)) {
      throw new IllegalArgumentException("userId: must be 1-64 characters of A-Z a-z 0-9 _ -");
    }
    Objects.requireNonNull(orderId, "orderId");
    if (!isIdText(orderId)) {
      throw new IllegalArgumentException("orderId: must be 1-64 characters of A-Z a-z 0-9 _ -");
    }
    if (orderAmountCents < 0 || orderAmountCents > MAX_AMOUNT_CENTS) {
      throw new IllegalArgumentException(
          "orderAmountCents: " + orderAmountCents + " (expected: 0.." + MAX_AMOUNT_CENTS + ")");
    }
  }

  /**
   * Whether {@code key} matches {@link #IDEMPOTENCY_KEY}, checked without a regex matcher (each
   * match allocated one; a redemption checks its texts several times).
   */
  public static boolean isIdempotencyKey(String key) {
    return fits(key, 128, true);
  }

  /** Whether {@code text} matches {@link RedemptionId#ID_TEXT} (a user or order id). */
  public static boolean isIdText(String text) {
    return fits(text, 64, false);
  }

  private static boolean fits(String s, int maxLength, boolean dotAndColon) {
    int n = s.length();
    if (n < 1 || n > maxLength) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      boolean allowed =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '_'
              || c == '-'
              || (dotAndColon && (c == '.' || c == ':'));
      if (!allowed) {
        return false;
      }
    }
    return true;
  }
}
