package io.couponflow.gateway.coupon;

/**
 * Neither the local tier nor Redis holds a coupon and MySQL cannot be asked: the gateway cannot
 * tell whether the coupon exists, so it answers "unavailable", never "not found".
 */
public final class MetadataUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MetadataUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
