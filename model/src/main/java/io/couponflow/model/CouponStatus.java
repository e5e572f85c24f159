package io.couponflow.model;

/** Whether a coupon may be redeemed inside its window. */
public enum CouponStatus {
  ACTIVE,
  PAUSED
}
