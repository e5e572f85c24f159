package io.couponflow.gateway.redeem;

/**
 * Redis accepted a redemption (or replayed one) but MySQL did not store it in time, with
 * COUPON_DURABILITY=mysql: the answer is 503, and a retry with the same Idempotency-Key waits for
 * it again. The redemption stays accepted: the outbox holds it until MySQL does.
 */
public final class NotDurableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NotDurableException(String message, Throwable cause) {
    super(message, cause);
  }
}
