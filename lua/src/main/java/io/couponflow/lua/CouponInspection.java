package io.couponflow.lua;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A coupon and its outbox, read in one atomic step.
 *
 * @param fenced the coupon's epoch is not the node's incarnation: Redis restarted or failed over
 *     since the coupon was last verified against MySQL, so it decides nothing until repaired (see
 *     "Fencing" in {@code couponflow.lua})
 * @param pending outbox entries not yet in MySQL
 * @param oldestPendingId the oldest of them, if any
 * @param redisNow the Redis clock when this was read
 */
public record CouponInspection(
    LiveCoupon coupon,
    boolean fenced,
    long pending,
    long pendingAccepts,
    long pendingReversals,
    Optional<String> oldestPendingId,
    Instant redisNow) {

  /** How long the oldest pending entry has waited, or zero. */
  public Duration oldestPendingAge() {
    return OutboxBacklog.ageOf(oldestPendingId, redisNow);
  }
}
