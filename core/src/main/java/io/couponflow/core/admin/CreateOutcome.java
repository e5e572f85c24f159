package io.couponflow.core.admin;

import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;

/** What {@link CouponAdmin#create} did. */
public sealed interface CreateOutcome {
  /**
   * The coupon is defined in MySQL and in Redis.
   *
   * @param coupon the definition, as MySQL now holds it (there was none before)
   * @param redis what {@code cf_load} did: created it (live, or fenced on a Redis node too young to
   *     vouch for it), or refreshed a copy Redis already held
   */
  record Created(Coupon coupon, LoadOutcome redis) implements CreateOutcome {}

  /** MySQL already defines a coupon with this id; nothing changed. */
  record AlreadyExists() implements CreateOutcome {}

  /** Redis refused the definition; MySQL's insert was rolled back, so nothing changed. */
  record RefusedByRedis(String reason) implements CreateOutcome {}
}
