package io.couponflow.gateway.http;

import io.netty.handler.codec.http.HttpResponseStatus;

/** Every error the API answers with: an HTTP status and the body's {@code code}. */
public enum ApiError {
  INVALID_REQUEST(HttpResponseStatus.BAD_REQUEST),
  /** A trusted client certificate without the role the route needs (mTLS only). */
  FORBIDDEN(HttpResponseStatus.FORBIDDEN),
  COUPON_NOT_FOUND(HttpResponseStatus.NOT_FOUND),
  REDEMPTION_NOT_FOUND(HttpResponseStatus.NOT_FOUND),
  NOT_FOUND(HttpResponseStatus.NOT_FOUND),
  METHOD_NOT_ALLOWED(HttpResponseStatus.METHOD_NOT_ALLOWED),
  REQUEST_TIMEOUT(HttpResponseStatus.REQUEST_TIMEOUT),
  COUPON_NOT_ACTIVE(HttpResponseStatus.CONFLICT),
  SOLD_OUT(HttpResponseStatus.CONFLICT),
  USER_LIMIT_REACHED(HttpResponseStatus.CONFLICT),
  ORDER_ALREADY_REDEEMED(HttpResponseStatus.CONFLICT),
  PAYLOAD_TOO_LARGE(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE),
  URI_TOO_LONG(HttpResponseStatus.REQUEST_URI_TOO_LONG),
  UNSUPPORTED_MEDIA_TYPE(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE),
  ORDER_BELOW_THRESHOLD(HttpResponseStatus.UNPROCESSABLE_ENTITY),
  IDEMPOTENCY_KEY_REUSED(HttpResponseStatus.UNPROCESSABLE_ENTITY),
  HEADERS_TOO_LARGE(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE),
  UNAVAILABLE(HttpResponseStatus.SERVICE_UNAVAILABLE),
  INTERNAL(HttpResponseStatus.INTERNAL_SERVER_ERROR);

  private final HttpResponseStatus status;

  ApiError(HttpResponseStatus status) {
    this.status = status;
  }

  public HttpResponseStatus status() {
    return status;
  }
}
