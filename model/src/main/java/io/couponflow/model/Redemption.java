package io.couponflow.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One redemption of a coupon, as the API shows it.
 *
 * @param reversedAt null while {@code status} is {@link RedemptionStatus#ACCEPTED}
 */
public record Redemption(
    RedemptionId redemptionId,
    String userId,
    long orderAmountCents,
    long discountCents,
    RedemptionStatus status,
    Instant acceptedAt,
    Instant reversedAt) {

  /**
   * The longest reason a reversal keeps, in characters (code points, as MySQL's utf8mb4
   * VARCHAR(256) counts them); the library's {@code cf_reverse} holds the same limit.
   */
  public static final int MAX_REASON_LENGTH = 256;

  public Redemption {
    Objects.requireNonNull(redemptionId, "redemptionId");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(acceptedAt, "acceptedAt");
    if ((status == RedemptionStatus.REVERSED) != (reversedAt != null)) {
      throw new IllegalArgumentException(
          "reversedAt: " + reversedAt + " (expected: set exactly when status is REVERSED)");
    }
  }

  public long couponId() {
    return redemptionId.couponId();
  }

  public String orderId() {
    return redemptionId.orderId();
  }
}
