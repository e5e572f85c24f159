package io.couponflow.bench.rig;

/** A checked invariant failed: the bench stops at once and exits non-zero. */
public final class InvariantViolation extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InvariantViolation(String message) {
    super(message);
  }
}
