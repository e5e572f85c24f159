package io.couponflow.ops.reconcile;

import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.model.Coupon;
import io.couponflow.sql.RedemptionCounts;
import java.util.List;
import java.util.Optional;

/**
 * What reconcile found for one coupon.
 *
 * @param definition the coupon as MySQL defines it; empty when only Redis holds it
 * @param live the coupon, its counters and its outbox as Redis holds them, read in one atomic step;
 *     empty when Redis does not hold the coupon
 * @param rows the ACCEPTED and REVERSED rows MySQL held around that read
 * @param expected the counters MySQL and the outbox imply (rows plus pending entries); null when
 *     Redis does not hold the coupon
 * @param drifts what disagrees, with causes; empty when consistent
 */
public record CouponCheck(
    long couponId,
    Optional<Coupon> definition,
    Optional<CouponInspection> live,
    RedemptionCounts rows,
    Counters expected,
    List<Drift> drifts) {

  public CouponCheck {
    drifts = List.copyOf(drifts);
  }

  public boolean consistent() {
    return drifts.isEmpty();
  }

  /** The counters of a coupon as Redis holds it: stock, accepted, reversed. */
  public static Counters countersOf(CouponInspection live) {
    LiveCoupon c = live.coupon();
    return new Counters(c.stock(), c.accepted(), c.reversed());
  }

  public boolean has(Drift.Kind kind) {
    return drifts.stream().anyMatch(d -> d.kind() == kind);
  }
}
