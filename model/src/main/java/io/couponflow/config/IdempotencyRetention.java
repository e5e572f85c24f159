package io.couponflow.config;

import java.time.Duration;

/**
 * How long, at least, an accepted idempotency key is remembered (COUPON_IDEMPOTENCY_RETENTION,
 * default 24h, never less): every process that calls the Functions library passes it, so every one
 * reads it here, and refuses the same values in the same words.
 */
public record IdempotencyRetention(Duration duration) {
  public static final String VARIABLE = "COUPON_IDEMPOTENCY_RETENTION";
  public static final Duration DEFAULT = Duration.ofHours(24);
  public static final Duration MIN = Duration.ofHours(24);
  public static final Duration MAX = Duration.ofDays(3650);

  public IdempotencyRetention {
    require(duration);
  }

  public static IdempotencyRetention from(Env env) {
    return new IdempotencyRetention(env.duration(VARIABLE, DEFAULT));
  }

  /**
   * Refuses a retention outside {@link #MIN}..{@link #MAX}, naming the variable: for a config
   * record that holds the retention as a duration.
   *
   * @return {@code duration}
   */
  public static Duration require(Duration duration) {
    return Env.require(VARIABLE, duration, MIN, MAX);
  }
}
