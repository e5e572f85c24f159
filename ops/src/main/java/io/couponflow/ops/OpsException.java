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

  /** The first line of the message of the innermost cause of {@code e}, for a one-line report. */
  public static String rootLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage()).lines().findFirst().orElse("");
  }
}
