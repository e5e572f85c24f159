package io.couponflow.core.admin;

/**
 * MySQL holds a coupon row that is no valid coupon (a hand edit, or a bug): the message names the
 * coupon and the field.
 */
public final class InvalidCouponException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvalidCouponException(String message) {
    super(message);
  }
}
