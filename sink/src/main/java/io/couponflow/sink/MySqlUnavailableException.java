package io.couponflow.sink;

/** MySQL could not take a write (down, unreachable, timing out); the outbox keeps the entries. */
public final class MySqlUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MySqlUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
