package io.couponflow.config;

/** A configuration value that a process refuses at start; the message names the variable. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
