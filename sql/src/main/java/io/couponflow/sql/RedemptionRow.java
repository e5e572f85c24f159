package io.couponflow.sql;

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
    String outboxId) {}
