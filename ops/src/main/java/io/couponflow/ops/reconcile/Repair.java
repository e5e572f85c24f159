package io.couponflow.ops.reconcile;

import java.util.List;

/**
 * What {@code reconcile --apply} did for one coupon.
 *
 * @param before the check that found the drift
 * @param actions what was changed, one line each for people, in order
 * @param after the check made once the repair was done; consistent when it worked
 */
public record Repair(CouponCheck before, List<String> actions, CouponCheck after) {
  public Repair {
    actions = List.copyOf(actions);
  }
}
