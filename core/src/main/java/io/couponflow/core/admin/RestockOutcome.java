package io.couponflow.core.admin;

import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;
import java.util.Optional;

/** What {@link CouponAdmin#restock} did. */
public sealed interface RestockOutcome {
  /**
   * MySQL took the restock, and Redis applied it where it holds the coupon.
   *
   * @param before the coupon as MySQL held it just before the restock
   * @param after the coupon as MySQL holds it now (more total stock, a new version)
   * @param redis what {@code cf_load} did (the delta applied to the remaining stock); empty when
   *     Redis does not hold the coupon (it is loaded with the new total when first needed)
   * @param notTold why the gateways could not be told (they refresh within COUPON_CACHE_REFRESH);
   *     empty when they were
   */
  record Restocked(
      Coupon before, Coupon after, Optional<LoadOutcome> redis, Optional<RuntimeException> notTold)
      implements RestockOutcome {}

  /** MySQL does not know the coupon; nothing changed. */
  record NotFound() implements RestockOutcome {}

  /**
   * The new total would pass {@link Coupon#MAX_NUMBER}, the largest stock Redis holds exactly;
   * nothing changed.
   *
   * @param totalStock the coupon's total stock in MySQL
   */
  record WouldPassMax(long totalStock) implements RestockOutcome {}

  /**
   * MySQL took the restock, Redis did not answer or failed: a reconcile or preheat of the coupon
   * applies it, a second restock would add again.
   */
  record NotInRedisYet(Coupon after, RuntimeException failure) implements RestockOutcome {}

  /** MySQL took the restock, Redis refused it and keeps the definition it had. */
  record RefusedByRedis(Coupon after, String reason) implements RestockOutcome {}
}
