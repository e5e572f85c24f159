package io.couponflow.core.live;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Port: how a use case makes its Redis calls. The gateway makes each behind its Redis circuit
 * breaker and latency timer; callers without either make them as they are ({@link #DIRECT}).
 *
 * <p>Thread-safety: implementations are safe for use by many threads, and never block.
 */
public interface RedisCalls {
  /** Makes every call as it is. */
  RedisCalls DIRECT = Supplier::get;

  /** Makes the call, or fails it at once (an open circuit breaker). */
  <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> call);
}
