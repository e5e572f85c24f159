package io.couponflow.ops.reconcile;

import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponInspection;
import io.couponflow.model.Coupon;
import io.couponflow.sql.RedemptionCounts;
import java.util.List;
import java.util.Optional;

/**
 * What reconcile found for one coupon: the read it settled on, and its diagnosis.
 *
 * @param state the read whose drift, if any, the read before it agreed on
 */
public record CouponCheck(long couponId, CouponState state, Diagnosis diagnosis) {

  /** The coupon as MySQL defines it; empty when only Redis holds it. */
  public Optional<Coupon> definition() {
    return state.definition();
  }

  /** The coupon, its counters and its outbox as Redis holds them; empty when it does not. */
  public Optional<CouponInspection> live() {
    return state.live();
  }

  /** The ACCEPTED and REVERSED rows MySQL held around the Redis read. */
  public RedemptionCounts rows() {
    return state.rows();
  }

  /** The counters MySQL and the outbox imply; null when Redis or MySQL lacks the coupon. */
  public Counters expected() {
    return diagnosis.expected();
  }

  public List<Finding> findings() {
    return diagnosis.findings();
  }

  public boolean consistent() {
    return diagnosis.consistent();
  }
}
