package io.couponflow.lua;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * What of one coupon's outbox still waits for MySQL, read in one step ({@code cf_outbox_backlog}).
 *
 * @param pending outbox entries not yet in MySQL
 * @param oldestPendingId the oldest of them, if any
 * @param redisNow the clock of the Redis node that holds the coupon, when this was read: the clock
 *     its entry ids are on
 */
public record OutboxBacklog(long pending, Optional<String> oldestPendingId, Instant redisNow) {

  /** How long the oldest pending entry has waited, or zero. */
  public Duration oldestPendingAge() {
    return ageOf(oldestPendingId, redisNow);
  }

  /** How long the entry {@code id} (if any) has waited at {@code redisNow}, or zero. */
  static Duration ageOf(Optional<String> id, Instant redisNow) {
    return id.map(
            i -> Duration.ofMillis(Math.max(0, redisNow.toEpochMilli() - OutboxEntry.millisOf(i))))
        .orElse(Duration.ZERO);
  }
}
