package io.couponflow.sink;

/** MySQL could not take a write (down, unreachable, timing out); the outbox keeps the entries. */
public final class MySqlUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final boolean breakerOpen;

  public MySqlUnavailableException(String message, Throwable cause) {
    this(message, cause, false);
  }

  private MySqlUnavailableException(String message, Throwable cause, boolean breakerOpen) {
    super(message, cause);
    this.breakerOpen = breakerOpen;
  }

  /** The write was not even tried: the MySQL circuit breaker is open. */
  static MySqlUnavailableException breakerOpen(Throwable cause) {
    return new MySqlUnavailableException("MySQL circuit breaker is open", cause, true);
  }

  /** True when the write was refused by the open breaker rather than failed by MySQL. */
  public boolean isBreakerOpen() {
    return breakerOpen;
  }
}
