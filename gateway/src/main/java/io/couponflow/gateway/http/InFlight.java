package io.couponflow.gateway.http;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission control for the API: bounds the requests being processed across all connections, and
 * once {@link #startDraining draining} turns new requests away so shutdown can wait for the ones in
 * flight. A permit is held from admission until the answer has been written.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class InFlight {
  private final int max;
  private final AtomicInteger current = new AtomicInteger();
  private volatile boolean draining;

  public InFlight(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
    }
    this.max = max;
  }

  /** Takes a permit; false when {@code max} are taken already. */
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

  /** Requests admitted and not answered yet. */
  public int current() {
    return current.get();
  }

  /** From now on, requests are answered 503 and their connections closed. */
  public void startDraining() {
    draining = true;
  }

  /** Whether shutdown has begun. */
  public boolean isDraining() {
    return draining;
  }
}
