package io.couponflow.sink;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** Doubling pauses between failed attempts, capped. Thread-safety: one thread only. */
final class Backoff {
  private final long initialNanos;
  private final long maxNanos;
  private long nextNanos;

  Backoff(Duration initial, Duration max) {
    this.initialNanos = initial.toNanos();
    this.maxNanos = max.toNanos();
    this.nextNanos = initialNanos;
  }

  void pause() {
    LockSupport.parkNanos(nextNanos);
    nextNanos = Math.min(maxNanos, nextNanos * 2);
  }

  void reset() {
    nextNanos = initialNanos;
  }
}
