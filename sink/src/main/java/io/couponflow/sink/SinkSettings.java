package io.couponflow.sink;

import io.couponflow.config.Env;
import java.time.Duration;

/**
 * How the sink moves redemptions into MySQL.
 *
 * @param queueCapacity entries the in-memory queue holds before offers fall back to the outbox
 *     (COUPON_QUEUE_CAPACITY)
 * @param batchSize most rows one MySQL transaction writes (COUPON_SINK_BATCH_SIZE)
 * @param linger how long a drainer waits for a batch to fill once it has work (COUPON_SINK_LINGER)
 * @param sweepInterval how often the outbox sweeper runs (COUPON_SWEEP_INTERVAL)
 * @param sweepMinAge how old an outbox entry must be before the sweeper takes it; younger ones are
 *     the fast path's (COUPON_SWEEP_MIN_AGE)
 */
public record SinkSettings(
    int queueCapacity,
    int batchSize,
    Duration linger,
    Duration sweepInterval,
    Duration sweepMinAge) {

  public SinkSettings {
    if (queueCapacity < 2) {
      throw new IllegalArgumentException("queueCapacity: " + queueCapacity + " (expected: >= 2)");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: > 0)");
    }
  }

  public static SinkSettings from(Env env) {
    return new SinkSettings(
        env.integer("COUPON_QUEUE_CAPACITY", 65_536, 2, 1 << 24),
        env.integer("COUPON_SINK_BATCH_SIZE", 500, 1, 10_000),
        env.duration(
            "COUPON_SINK_LINGER", Duration.ofMillis(2), Duration.ZERO, Duration.ofSeconds(1)),
        env.duration(
            "COUPON_SWEEP_INTERVAL",
            Duration.ofSeconds(2),
            Duration.ofMillis(100),
            Duration.ofHours(1)),
        env.duration(
            "COUPON_SWEEP_MIN_AGE", Duration.ofSeconds(5), Duration.ZERO, Duration.ofHours(1)));
  }

  public static SinkSettings defaults() {
    return from(Env.of(java.util.Map.of()));
  }
}
