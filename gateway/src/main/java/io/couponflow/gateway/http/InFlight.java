package io.couponflow.gateway.http;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counts requests being processed across all connections and bounds them; shutdown waits on it.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class InFlight {
  private final int max;
  private final AtomicInteger current = new AtomicInteger();

  public InFlight(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
    }
    this.max = max;
  }

  boolean tryAcquire() {
    while (true) {
      int now = current.get();
      if (now >= max) {
        return false;
      }
      if (current.compareAndSet(now, now + 1)) {
        return true;
      }
    }
  }

  void release() {
    current.decrementAndGet();
  }

  public int current() {
    return current.get();
  }
}
