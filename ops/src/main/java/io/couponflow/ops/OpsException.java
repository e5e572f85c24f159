package io.couponflow.ops;

/** A refusal the CLI reports as one line on stderr with a non-zero exit. */
public final class OpsException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final int exitCode;

  public OpsException(String message) {
    this(message, 1);
  }

  public OpsException(String message, int exitCode) {
    super(message);
    this.exitCode = exitCode;
  }

  public int exitCode() {
    return exitCode;
  }
}
