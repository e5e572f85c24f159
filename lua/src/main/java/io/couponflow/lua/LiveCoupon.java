package io.couponflow.lua;

import io.couponflow.model.CouponStatus;
import java.time.Instant;

/**
 * A coupon as Redis holds it: the definition it applied last, and the live counters.
 *
 * @param stock remaining stock
 * @param accepted redemptions currently accepted
 * @param reversed redemptions reversed so far
 */
public record LiveCoupon(
    long couponId,
    String name,
    long totalStock,
    int perUserLimit,
    long thresholdCents,
    long discountCents,
    Instant startsAt,
    Instant endsAt,
    CouponStatus status,
    int buckets,
    long version,
    long stock,
    long accepted,
    long reversed) {}
