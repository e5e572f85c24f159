package io.couponflow.preheat;

import io.couponflow.model.Coupon;

/**
 * One coupon to load, with what MySQL says was redeemed.
 *
 * @param accepted ACCEPTED rows in MySQL; meaningful only when {@code mayCreate}
 * @param reversed REVERSED rows in MySQL; meaningful only when {@code mayCreate}
 * @param mayCreate whether the coupon may be created in Redis when Redis does not hold it: true for
 *     definitions read from MySQL now, false for definitions from a snapshot, whose redemption
 *     counts may be stale
 * @param countsReadAt when the counts were read ({@link System#nanoTime}): a coupon is created live
 *     only if the Redis node had settled by then (see "Fencing" in couponflow.lua)
 */
record Candidate(
    Coupon coupon, long accepted, long reversed, boolean mayCreate, long countsReadAt) {
  static Candidate fromMySql(Coupon coupon, long accepted, long reversed, long countsReadAt) {
    return new Candidate(coupon, accepted, reversed, true, countsReadAt);
  }

  static Candidate fromSnapshot(Coupon coupon) {
    return new Candidate(coupon, 0, 0, false, 0);
  }

  long couponId() {
    return coupon.couponId();
  }
}
