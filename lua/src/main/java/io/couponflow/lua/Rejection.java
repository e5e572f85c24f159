package io.couponflow.lua;

/** Why a redemption was refused; each changed nothing. The names are the API's error codes. */
public enum Rejection {
  COUPON_NOT_FOUND,
  IDEMPOTENCY_KEY_REUSED,
  COUPON_NOT_ACTIVE,
  ORDER_BELOW_THRESHOLD,
  USER_LIMIT_REACHED,
  ORDER_ALREADY_REDEEMED,
  SOLD_OUT
}
