package io.couponflow.core.live;

import io.couponflow.lua.LiveCoupon;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Runs one Redis call of a use case on a coupon: the one way redeem, reverse and get reach it. The
 * coupon comes from {@link LiveCoupons}. When Redis answers that it does not hold the coupon (it
 * restarted empty since the coupon was found), the coupon is forgotten, found again (so made live
 * from MySQL) and the call is made once more. When Redis answers that the coupon is fenced, the
 * coupon is repaired and the call is made once more; a failed or overdue repair leaves the fenced
 * answer.
 *
 * <p>Thread-safety: safe for use by many threads; never blocks.
 */
public final class CouponCalls {
  private final LiveCoupons coupons;

  public CouponCalls(LiveCoupons coupons) {
    this.coupons = coupons;
  }

  /**
   * @param unknown the answer when the coupon exists nowhere
   * @param call the Redis call, given the coupon's metadata
   * @param couponMissing whether an answer says that Redis does not hold the coupon
   * @param fenced whether an answer says that the coupon is fenced
   */
  public <T> CompletableFuture<T> run(
      long couponId,
      Supplier<T> unknown,
      Function<LiveCoupon, CompletableFuture<T>> call,
      Predicate<T> couponMissing,
      Predicate<T> fenced) {
    return run(couponId, unknown, call, couponMissing)
        .thenCompose(
            result -> {
              if (!fenced.test(result)) {
                return CompletableFuture.completedFuture(result);
              }
              return coupons
                  .repair(couponId)
                  .handle((done, e) -> e == null)
                  .thenCompose(
                      repaired ->
                          repaired
                              ? run(couponId, unknown, call, couponMissing)
                              : CompletableFuture.completedFuture(result));
            });
  }

  private <T> CompletableFuture<T> run(
      long couponId,
      Supplier<T> unknown,
      Function<LiveCoupon, CompletableFuture<T>> call,
      Predicate<T> couponMissing) {
    return coupons
        .find(couponId)
        .thenCompose(
            coupon -> {
              if (coupon.isEmpty()) {
                return CompletableFuture.completedFuture(unknown.get());
              }
              return call.apply(coupon.get())
                  .thenCompose(
                      result -> {
                        if (!couponMissing.test(result)) {
                          return CompletableFuture.completedFuture(result);
                        }
                        coupons.forget(couponId);
                        return coupons
                            .find(couponId)
                            .thenCompose(
                                again ->
                                    again.isEmpty()
                                        ? CompletableFuture.completedFuture(unknown.get())
                                        : call.apply(again.get()));
                      });
            });
  }
}
