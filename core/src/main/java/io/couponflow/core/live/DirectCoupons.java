package io.couponflow.core.live;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.model.Coupon;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.LongFunction;

/**
 * The coupons of a caller that keeps no cache of them (the CLI): every find asks Redis, and a
 * coupon Redis does not hold, or one it fenced, is made live from MySQL by {@link CouponRepair},
 * waiting while a young Redis node settles ({@link CouponRepair#settleBound}).
 *
 * <p>Thread-safety: safe for use by many threads. The repairs block, so they run on the executor
 * given; the caller is never blocked.
 */
public final class DirectCoupons implements LiveCoupons {
  private final CouponFunctions functions;
  private final CouponRepair repair;
  private final LongFunction<Optional<Coupon>> definitions;
  private final Executor blocking;

  /**
   * @param definitions reads a coupon's definition from MySQL; empty when MySQL does not know it
   * @param blocking runs the reads of MySQL and the repairs
   */
  public DirectCoupons(
      CouponFunctions functions,
      CouponRepair repair,
      LongFunction<Optional<Coupon>> definitions,
      Executor blocking) {
    this.functions = functions;
    this.repair = repair;
    this.definitions = definitions;
    this.blocking = blocking;
  }

  @Override
  public CompletableFuture<Optional<LiveCoupon>> find(long couponId) {
    return functions
        .coupon(couponId)
        .thenCompose(
            live ->
                live.isPresent()
                    ? CompletableFuture.completedFuture(live)
                    : repair(couponId)
                        .thenCompose(
                            known ->
                                known
                                    ? functions.coupon(couponId)
                                    : CompletableFuture.completedFuture(Optional.empty())));
  }

  /** Nothing is kept to forget. */
  @Override
  public void forget(long couponId) {}

  /** Completes with whether MySQL knows the coupon, once it is live (or still settling). */
  @Override
  public CompletableFuture<Boolean> repair(long couponId) {
    return CompletableFuture.supplyAsync(
        () -> {
          Optional<Coupon> coupon = definitions.apply(couponId);
          coupon.ifPresent(c -> repair.makeLiveWaiting(c, repair.settleBound()));
          return coupon.isPresent();
        },
        blocking);
  }
}
