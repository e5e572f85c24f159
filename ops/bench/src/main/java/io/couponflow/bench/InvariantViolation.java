package io.couponflow.bench;

/** A checked invariant failed: the bench stops at once and exits non-zero. */
final class InvariantViolation extends RuntimeException {
  private static final long serialVersionUID = 1L;

  InvariantViolation(String message) {
    super(message);
  }
}
