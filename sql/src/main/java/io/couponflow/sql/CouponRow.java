package io.couponflow.sql;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.time.Instant;

/**
 * A row of the {@code coupon} table as stored, before any check. Readers that must go on past one
 * bad row (a preheat of many coupons) read these and turn each into a {@link Coupon} themselves;
 * {@link #toCoupon} says what is wrong with a row that cannot be one. The schema refuses such rows
 * (the CHECK constraints of V2), but a database may hold one written before them.
 */
public record CouponRow(
    long couponId,
    String name,
    long totalStock,
    int perUserLimit,
    long thresholdCents,
    long discountCents,
    Instant startsAt,
    Instant endsAt,
    String status,
    boolean hot,
    int buckets,
    long version) {

  /**
   * The coupon this row defines.
   *
   * @throws IllegalArgumentException naming the first field no reader can take, and why
   */
  public Coupon toCoupon() {
    CouponStatus parsed;
    try {
      parsed = CouponStatus.valueOf(String.valueOf(status));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("status: '" + status + "' (expected: ACTIVE or PAUSED)");
    }
    return new Coupon(
        couponId,
        name,
        totalStock,
        perUserLimit,
        thresholdCents,
        discountCents,
        startsAt,
        endsAt,
        parsed,
        hot,
        buckets,
        version);
  }
}
