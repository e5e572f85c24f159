package io.couponflow.core;

import io.couponflow.config.Env;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for a Redis call, at most {@code wait}, and rethrows what it failed with: the blocking
 * callers' (the CLI's, the admin use cases') one way to wait.
 */
public final class Await {
  private Await() {}

  /**
   * @throws IllegalStateException without a cause when the call takes longer than {@code wait}
   *     ("Redis did not answer within 30s") or the thread is interrupted
   */
  public static <T> T of(CompletableFuture<T> future, Duration wait) {
    try {
      return future.get(wait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    } catch (TimeoutException e) {
      // No cause: the CLI prints the innermost message, and this one is the one to read.
      throw new IllegalStateException("Redis did not answer within " + Env.human(wait));
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(e.getCause());
    }
  }

  /**
   * Waits for a future that bounds each of its own steps (a use case whose every Redis and MySQL
   * call has its timeout), and rethrows what it failed with rather than a CompletionException.
   */
  public static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }
}
