package io.couponflow.sql;

import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import java.time.Instant;

/**
 * A row of the {@code redemption} table.
 *
 * @param outboxId the Redis stream id of the outbox entry that accepted this redemption
 */
public record RedemptionRow(
    String redemptionId,
    long couponId,
    String idempotencyKey,
    String userId,
    String orderId,
    long orderAmountCents,
    long discountCents,
    RedemptionStatus status,
    Instant acceptedAt,
    Instant reversedAt,
    String reversalReason,
    String outboxId) {

  /**
   * The redemption this row records.
   *
   * @throws IllegalStateException when the stored redemption id is not one couponflow issues
   */
  public Redemption toRedemption() {
    RedemptionId id =
        RedemptionId.parse(redemptionId)
            .orElseThrow(
                () -> new IllegalStateException("bad redemption id in MySQL: " + redemptionId));
    return new Redemption(
        id,
        userId,
        orderAmountCents,
        discountCents,
        status,
        acceptedAt,
        status == RedemptionStatus.REVERSED ? reversedAt : null);
  }
}
