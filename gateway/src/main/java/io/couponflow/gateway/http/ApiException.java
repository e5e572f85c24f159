package io.couponflow.gateway.http;

/** A request the API refuses, with the error to answer; carries no stack trace. */
final class ApiException extends Exception {
  private static final long serialVersionUID = 1L;
  private final ApiError error;

  ApiException(ApiError error, String message) {
    super(message, null, false, false);
    this.error = error;
  }

  ApiError error() {
    return error;
  }
}
