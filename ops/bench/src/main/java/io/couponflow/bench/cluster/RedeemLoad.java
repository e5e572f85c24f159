package io.couponflow.bench.cluster;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.Coupon;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * One timed redemption load through {@link CouponFunctions}: {@code threads} generator threads keep
 * up to {@code inFlight} redeems outstanding on the shared pipelined connection, each with a fresh
 * idempotency key, user and order, round-robin over the coupons (so a cluster gets the load spread
 * over its slots). Requests started during the warm-up are not measured.
 *
 * <p>Thread-safety: one run at a time.
 */
final class RedeemLoad {
  /** What one run measured. Latencies are in microseconds. */
  record Result(
      long measured, long accepted, long failed, double perSecond, Histogram latencyMicros) {}

  private final CouponFunctions functions;
  private final List<Coupon> coupons;
  private final int inFlight;
  private final int threads;

  RedeemLoad(CouponFunctions functions, List<Coupon> coupons, int inFlight, int threads) {
    if (coupons.isEmpty()) {
      throw new IllegalArgumentException("coupons: none (expected: at least one)");
    }
    this.functions = functions;
    this.coupons = List.copyOf(coupons);
    this.inFlight = inFlight;
    this.threads = threads;
  }

  /** Runs the warm-up, then the measured period; returns once every request has completed. */
  Result run(Duration warmup, Duration measure) throws InterruptedException {
    Semaphore window = new Semaphore(inFlight);
    AtomicLong sequence = new AtomicLong();
    LongAdder measured = new LongAdder();
    LongAdder accepted = new LongAdder();
    LongAdder failed = new LongAdder();
    ConcurrentHistogram latency = new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(60), 3);
    long measureFrom = System.nanoTime() + warmup.toNanos();
    long end = measureFrom + measure.toNanos();
    List<Thread> generators = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread generator =
          new Thread(
              () -> {
                while (true) {
                  window.acquireUninterruptibly();
                  long start = System.nanoTime();
                  if (start >= end) {
                    window.release();
                    return;
                  }
                  long n = sequence.incrementAndGet();
                  Coupon c = coupons.get((int) (n % coupons.size()));
                  functions
                      .redeem(
                          new RedeemRequest(c.couponId(), "k" + n, "u" + n, "o" + n, 10_000),
                          c.buckets())
                      .whenComplete(
                          (outcome, error) -> {
                            long done = System.nanoTime();
                            if (outcome instanceof RedeemOutcome.Accepted) {
                              accepted.increment();
                            } else {
                              failed.increment();
                            }
                            if (start >= measureFrom) {
                              measured.increment();
                              latency.recordValue(
                                  Math.max(1, TimeUnit.NANOSECONDS.toMicros(done - start)));
                            }
                            window.release();
                          });
                }
              },
              "bench-load-" + t);
      generators.add(generator);
      generator.start();
    }
    for (Thread generator : generators) {
      generator.join();
    }
    if (!window.tryAcquire(inFlight, 30, TimeUnit.SECONDS)) {
      throw new IllegalStateException("requests still outstanding 30 s after the run ended");
    }
    return new Result(
        measured.sum(),
        accepted.sum(),
        failed.sum(),
        measured.sum() / (measure.toNanos() / 1e9),
        latency);
  }
}
