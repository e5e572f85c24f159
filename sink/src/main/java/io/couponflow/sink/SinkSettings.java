package io.couponflow.sink;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.time.Duration;
import java.util.Map;

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
 * @param sweepScanInterval how often a sweep looks for outboxes with a SCAN of the whole keyspace;
 *     the sweeps in between cover the coupons known to be pending (COUPON_SWEEP_SCAN_INTERVAL)
 * @param breakerFailureRate percentage of failed writes, among the last {@code breakerWindow}, that
 *     opens the MySQL circuit breaker (COUPON_SINK_BREAKER_FAILURE_RATE)
 * @param breakerWindow how many recent writes the breaker judges (COUPON_SINK_BREAKER_WINDOW); it
 *     judges once it has seen at least {@link #breakerMinimumCalls()}
 * @param breakerOpenFor how long an open breaker refuses writes before it lets trial writes through
 *     (COUPON_SINK_BREAKER_OPEN)
 * @param orphanReversalAge how long, on the Redis clock, a reversal may wait for its accept to
 *     reach MySQL before it goes to the dead-letter table (COUPON_SINK_ORPHAN_REVERSAL_AGE); longer
 *     than the sweeper may take to store an accept left to the outbox (COUPON_SWEEP_MIN_AGE +
 *     COUPON_SWEEP_SCAN_INTERVAL + COUPON_SWEEP_INTERVAL)
 */
public record SinkSettings(
    int queueCapacity,
    int batchSize,
    Duration linger,
    Duration sweepInterval,
    Duration sweepMinAge,
    Duration sweepScanInterval,
    int breakerFailureRate,
    int breakerWindow,
    Duration breakerOpenFor,
    Duration orphanReversalAge) {

  private static final Duration MAX_ORPHAN_AGE = Duration.ofDays(30);

  /** Refuses settings that make no sense, naming the variable (a process stops at start). */
  public SinkSettings {
    Env.require("COUPON_QUEUE_CAPACITY", queueCapacity, 2, 1 << 24);
    Env.require("COUPON_SINK_BATCH_SIZE", batchSize, 1, 10_000);
    Env.require("COUPON_SINK_LINGER", linger, Duration.ZERO, Duration.ofSeconds(1));
    Env.require(
        "COUPON_SWEEP_INTERVAL", sweepInterval, Duration.ofMillis(100), Duration.ofHours(1));
    Env.require("COUPON_SWEEP_MIN_AGE", sweepMinAge, Duration.ZERO, Duration.ofHours(1));
    Env.require(
        "COUPON_SWEEP_SCAN_INTERVAL", sweepScanInterval, Duration.ZERO, Duration.ofHours(24));
    Env.require("COUPON_SINK_BREAKER_FAILURE_RATE", breakerFailureRate, 1, 100);
    Env.require("COUPON_SINK_BREAKER_WINDOW", breakerWindow, 1, 1_000);
    Env.require(
        "COUPON_SINK_BREAKER_OPEN", breakerOpenFor, Duration.ofMillis(100), Duration.ofMinutes(10));
    // A reversal may wait for an accept that a gateway left to the outbox: the sweeper stores it
    // once it is COUPON_SWEEP_MIN_AGE old, at the next sweep that covers its coupon, which is the
    // next full one (COUPON_SWEEP_SCAN_INTERVAL) if another gateway left it. Dead-lettering the
    // reversal sooner would give up on an accept that is merely on its way.
    Duration accepting = sweepMinAge.plus(sweepScanInterval).plus(sweepInterval);
    if (orphanReversalAge.compareTo(accepting) <= 0
        || orphanReversalAge.compareTo(MAX_ORPHAN_AGE) > 0) {
      throw new ConfigException(
          "COUPON_SINK_ORPHAN_REVERSAL_AGE: "
              + Env.human(orphanReversalAge)
              + " is out of range (expected: more than COUPON_SWEEP_MIN_AGE +"
              + " COUPON_SWEEP_SCAN_INTERVAL + COUPON_SWEEP_INTERVAL = "
              + Env.human(accepting)
              + ", at most "
              + Env.human(MAX_ORPHAN_AGE)
              + ")");
    }
  }

  public static SinkSettings from(Env env) {
    return new SinkSettings(
        env.integer("COUPON_QUEUE_CAPACITY", 65_536),
        env.integer("COUPON_SINK_BATCH_SIZE", 500),
        env.duration("COUPON_SINK_LINGER", Duration.ofMillis(2)),
        env.duration("COUPON_SWEEP_INTERVAL", Duration.ofSeconds(2)),
        env.duration("COUPON_SWEEP_MIN_AGE", Duration.ofSeconds(5)),
        env.duration("COUPON_SWEEP_SCAN_INTERVAL", Duration.ofSeconds(30)),
        env.integer("COUPON_SINK_BREAKER_FAILURE_RATE", 50),
        env.integer("COUPON_SINK_BREAKER_WINDOW", 10),
        env.duration("COUPON_SINK_BREAKER_OPEN", Duration.ofSeconds(5)),
        env.duration("COUPON_SINK_ORPHAN_REVERSAL_AGE", Duration.ofMinutes(10)));
  }

  public static SinkSettings defaults() {
    return from(Env.of(Map.of()));
  }

  /** Writes the breaker must have seen before it may open: three, or the window if smaller. */
  public int breakerMinimumCalls() {
    return Math.min(3, breakerWindow);
  }
}
