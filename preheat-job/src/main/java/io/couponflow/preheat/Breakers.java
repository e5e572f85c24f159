package io.couponflow.preheat;

import io.couponflow.lua.RedisReplies;
import io.couponflow.sql.MySqlFailures;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run's two circuit breakers and their retries. Each breaker opens when its last {@code
 * attempts} calls all failed; an open breaker is what sends a run to its fallback: the snapshot for
 * MySQL, stopping for Redis. Only unreachability counts: a refused coupon or a bug is not a reason
 * to fall back.
 */
final class Breakers {
  private static final Logger log = LoggerFactory.getLogger(Breakers.class);

  final CircuitBreaker mysql;
  final Retry mysqlRetry;
  final CircuitBreaker redis;
  final Retry redisRetry;

  Breakers(PreheatSettings settings) {
    this.mysql = breaker("mysql", settings.attempts(), Breakers::isMySqlUnavailable);
    this.mysqlRetry = retry("mysql", settings, Breakers::isMySqlUnavailable);
    this.redis =
        breaker(
            "redis", settings.attempts(), RedisReplies.RedisUnavailableException.class::isInstance);
    this.redisRetry =
        retry("redis", settings, RedisReplies.RedisUnavailableException.class::isInstance);
  }

  /**
   * Whether a failure means MySQL cannot be reached or cannot answer now ({@link
   * MySqlFailures#isOutage}): a statement MySQL refuses or a mapping bug is not, and fails the run
   * instead of sending it to a stale snapshot.
   */
  static boolean isMySqlUnavailable(Throwable failure) {
    return MySqlFailures.isOutage(failure);
  }

  private static CircuitBreaker breaker(
      String name, int attempts, Predicate<Throwable> unavailable) {
    CircuitBreaker breaker =
        CircuitBreaker.of(
            name,
            CircuitBreakerConfig.custom()
                .slidingWindow(
                    attempts, attempts, CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .failureRateThreshold(100)
                .recordException(unavailable)
                .build());
    breaker
        .getEventPublisher()
        .onStateTransition(e -> log.warn("{} circuit breaker: {}", name, e.getStateTransition()));
    return breaker;
  }

  private static Retry retry(
      String name, PreheatSettings settings, Predicate<Throwable> unavailable) {
    return Retry.of(
        name,
        RetryConfig.custom()
            .maxAttempts(settings.attempts())
            .waitDuration(settings.retryWait())
            .retryOnException(e -> !(e instanceof CallNotPermittedException) && unavailable.test(e))
            .build());
  }
}
