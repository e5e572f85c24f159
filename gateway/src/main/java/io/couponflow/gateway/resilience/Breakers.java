package io.couponflow.gateway.resilience;

import io.couponflow.gateway.coupon.MetadataUnavailableException;
import io.couponflow.lua.RedisReplies;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's two circuit breakers and their failure policies:
 *
 * <ul>
 *   <li>{@code redis} fails closed: while open, nothing is decided and callers answer 503. Only
 *       Redis being unreachable or slow counts as a failure, never an answer of the library.
 *   <li>{@code mysql-lookup} fails open: it guards only the rare on-demand read of a coupon
 *       definition; redemptions never wait on MySQL, and the sink keeps its own backoff.
 * </ul>
 *
 * Each state transition is logged once at WARN; states and call counts are exported as {@code
 * resilience4j_circuitbreaker_*} metrics.
 */
public final class Breakers {
  private static final Logger log = LoggerFactory.getLogger(Breakers.class);

  private final CircuitBreaker redis;
  private final CircuitBreaker mysql;

  public Breakers(BreakerSettings settings, MeterRegistry registry) {
    CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
    this.redis =
        breakers.circuitBreaker(
            "redis",
            config(settings)
                .recordException(
                    e -> RedisReplies.map(e) instanceof RedisReplies.RedisUnavailableException)
                .build());
    this.mysql =
        breakers.circuitBreaker(
            "mysql-lookup",
            config(settings)
                .recordException(e -> e instanceof MetadataUnavailableException)
                .build());
    for (CircuitBreaker breaker : new CircuitBreaker[] {redis, mysql}) {
      breaker
          .getEventPublisher()
          .onStateTransition(
              e ->
                  log.warn(
                      "Circuit breaker '{}': {} -> {}",
                      e.getCircuitBreakerName(),
                      e.getStateTransition().getFromState(),
                      e.getStateTransition().getToState()));
    }
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(registry);
  }

  private static CircuitBreakerConfig.Builder config(BreakerSettings settings) {
    return CircuitBreakerConfig.custom()
        .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .slidingWindowSize(settings.window())
        .minimumNumberOfCalls(settings.minimumCalls())
        .failureRateThreshold(settings.failureRatePercent())
        .waitDurationInOpenState(settings.openFor())
        .permittedNumberOfCallsInHalfOpenState(Math.min(3, settings.window()))
        .writableStackTraceEnabled(false);
  }

  public CircuitBreaker redis() {
    return redis;
  }

  public CircuitBreaker mysql() {
    return mysql;
  }
}
