package io.couponflow.core.admin;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.util.Optional;

/** What {@link CouponAdmin#setStatus} did. */
public sealed interface StatusOutcome {
  /**
   * The coupon has the status asked for, in MySQL and, where Redis holds it, in Redis.
   *
   * @param before the coupon as MySQL held it before this change (the same as {@code after} when it
   *     had the status already)
   * @param after the coupon as MySQL holds it now
   * @param redis the status Redis holds now; empty when Redis does not hold the coupon (it is
   *     loaded with this status when first needed)
   */
  record Done(Coupon before, Coupon after, Optional<CouponStatus> redis) implements StatusOutcome {
    /** Whether this call changed MySQL (a new version). */
    public boolean changed() {
      return before.version() != after.version();
    }
  }

  /** MySQL does not know the coupon. */
  record NotFound() implements StatusOutcome {}

  /** Others changed the coupon in MySQL at each of the tries; nothing was changed here. */
  record KeepsChanging() implements StatusOutcome {}
}
