package io.couponflow.ops.reconcile;

import java.util.List;

/**
 * What {@code reconcile --apply} did for one coupon.
 *
 * @param before the check that found the drift
 * @param done what was changed, in order
 * @param after the check made once the repair was done; consistent when it worked
 */
public record Repair(CouponCheck before, List<Done> done, CouponCheck after) {
  public Repair {
    done = List.copyOf(done);
  }

  /** Whether {@code --apply} refused to act: the reads did not settle. */
  public boolean refused() {
    return done.stream().anyMatch(d -> d instanceof Done.Refused);
  }
}
