package io.couponflow.gateway.resilience;

import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Every Redis call the request path makes goes through here: the {@code redis} circuit breaker
 * (while open, the call fails at once with {@link CallNotPermittedException}) and a latency timer
 * per call kind ({@code couponflow.redis.calls}).
 *
 * <p>Thread-safety: safe for use by many threads; never blocks.
 */
public final class RedisGuard {
  /** The Redis calls of the request path, as named in the metrics. */
  public enum Call {
    REDEEM,
    REVERSE,
    GET,
    COUPON,
    SNAPSHOT
  }

  private final CircuitBreaker breaker;
  private final Map<Call, Timer> timers = new EnumMap<>(Call.class);

  public RedisGuard(CircuitBreaker breaker, MeterRegistry registry) {
    this.breaker = breaker;
    for (Call call : Call.values()) {
      timers.put(
          call,
          Timer.builder("couponflow.redis.calls")
              .description("Latency of the Redis calls made for requests, by kind")
              .tag("call", call.name().toLowerCase(java.util.Locale.ROOT))
              .publishPercentileHistogram()
              .register(registry));
    }
  }

  /** Runs {@code call} unless the breaker is open, and records how it went. */
  public <T> CompletableFuture<T> call(Call kind, Supplier<CompletableFuture<T>> call) {
    if (!breaker.tryAcquirePermission()) {
      return CompletableFuture.failedFuture(
          CallNotPermittedException.createCallNotPermittedException(breaker));
    }
    long start = System.nanoTime();
    CompletableFuture<T> result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      breaker.onError(System.nanoTime() - start, TimeUnit.NANOSECONDS, e);
      return CompletableFuture.failedFuture(e);
    }
    Timer timer = timers.get(kind);
    return result.whenComplete(
        (value, failure) -> {
          long nanos = System.nanoTime() - start;
          timer.record(nanos, TimeUnit.NANOSECONDS);
          if (failure == null) {
            breaker.onSuccess(nanos, TimeUnit.NANOSECONDS);
          } else {
            breaker.onError(nanos, TimeUnit.NANOSECONDS, failure);
          }
        });
  }
}
