package io.couponflow.core.live;

import io.couponflow.lua.LiveCoupon;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Port: where a use case finds the coupon its Redis call runs on, and has it made live or repaired
 * from MySQL ({@link CouponRepair}) when Redis lacks it or answers FENCED. The gateway's adapter is
 * its coupon tier (cached, one repair per coupon at a time); {@link DirectCoupons} is the one for
 * callers that keep no cache (the CLI).
 *
 * <p>Thread-safety: implementations are safe for use by many threads, and none blocks the caller.
 */
public interface LiveCoupons {
  /**
   * The coupon's metadata (its bucket count names its keys); a coupon Redis does not hold is made
   * live from MySQL first. Empty when MySQL does not know it either.
   */
  CompletableFuture<Optional<LiveCoupon>> find(long couponId);

  /** Redis answered that it does not hold the coupon: forget what is known of it locally. */
  void forget(long couponId);

  /**
   * Redis answered FENCED: repairs the coupon from MySQL. Completes normally once the repair ran
   * (also when MySQL does not know the coupon), exceptionally when it failed or took longer than
   * the caller waits.
   */
  CompletableFuture<?> repair(long couponId);
}
