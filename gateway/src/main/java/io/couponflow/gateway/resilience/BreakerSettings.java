package io.couponflow.gateway.resilience;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.time.Duration;

/**
 * When the circuit breakers in front of Redis and MySQL open, and for how long.
 *
 * @param failureRatePercent the share of failed calls, in percent, that opens a breaker
 *     (COUPON_BREAKER_FAILURE_RATE)
 * @param window how many of the latest calls the rate is computed over (COUPON_BREAKER_WINDOW)
 * @param minimumCalls how many calls must have been made before the rate counts
 *     (COUPON_BREAKER_MIN_CALLS; at most the window)
 * @param openFor how long an open breaker refuses calls before it lets a few through to probe
 *     (COUPON_BREAKER_OPEN_FOR)
 */
public record BreakerSettings(
    int failureRatePercent, int window, int minimumCalls, Duration openFor) {

  public BreakerSettings {
    Env.require("COUPON_BREAKER_FAILURE_RATE", failureRatePercent, 1, 100);
    Env.require("COUPON_BREAKER_WINDOW", window, 1, 10_000);
    if (minimumCalls < 1 || minimumCalls > window) {
      throw new ConfigException(
          "COUPON_BREAKER_MIN_CALLS: " + minimumCalls + " (expected: 1..window " + window + ")");
    }
    Env.require("COUPON_BREAKER_OPEN_FOR", openFor, Duration.ofMillis(100), Duration.ofMinutes(10));
  }

  public static BreakerSettings from(Env env) {
    int window = env.integer("COUPON_BREAKER_WINDOW", 20);
    return new BreakerSettings(
        env.integer("COUPON_BREAKER_FAILURE_RATE", 50),
        window,
        env.integer("COUPON_BREAKER_MIN_CALLS", Math.min(10, window)),
        env.duration("COUPON_BREAKER_OPEN_FOR", Duration.ofSeconds(2)));
  }
}
