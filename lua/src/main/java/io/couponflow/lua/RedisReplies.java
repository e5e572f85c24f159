package io.couponflow.lua;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place where Redis failures become couponflow's exceptions. Outcomes of the library's
 * functions are values, not exceptions; what lands here is infrastructure (unreachable, slow, a
 * connection that broke) or a bug (a function refused its arguments).
 */
public final class RedisReplies {
  private RedisReplies() {}

  /** Redis could not answer in time or at all: callers answer "unavailable", retry later. */
  public static final class RedisUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RedisUnavailableException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A couponflow function raised an error: a bad argument from the caller or corrupt data. */
  public static final class LibraryErrorException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LibraryErrorException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Maps any failure of a Redis call to the exception a caller acts on. */
  public static RuntimeException map(Throwable failure) {
    Throwable cause = unwrap(failure);
    if (cause instanceof RedisUnavailableException || cause instanceof LibraryErrorException) {
      return (RuntimeException) cause;
    }
    if (cause instanceof RedisCommandExecutionException e) {
      String message = String.valueOf(e.getMessage());
      if (message.contains("couponflow:")) {
        return new LibraryErrorException(message.substring(message.indexOf("couponflow:")), e);
      }
      if (isUnavailableReply(message)) {
        return new RedisUnavailableException("Redis refused the call: " + message, e);
      }
      return new LibraryErrorException("Redis error: " + message, e);
    }
    if (cause instanceof RedisCommandTimeoutException) {
      return new RedisUnavailableException("Redis did not answer in time", cause);
    }
    if (cause instanceof RedisConnectionException || cause instanceof RedisException) {
      return new RedisUnavailableException("Redis is unreachable: " + cause.getMessage(), cause);
    }
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return new RedisUnavailableException("Redis did not answer in time", cause);
    }
    IOException transport = transportFailure(cause);
    if (transport != null) {
      return new RedisUnavailableException("Redis connection failed: " + transport, cause);
    }
    if (cause instanceof RuntimeException runtime) {
      return runtime;
    }
    return new IllegalStateException(cause);
  }

  /**
   * The I/O failure behind a failed call, if it is one: the client hands some through raw (a
   * connection reset by peer while a command was in flight, a broken pipe on write, a closed
   * channel), on their own or as the cause of a transport exception. Null for anything else.
   */
  private static IOException transportFailure(Throwable cause) {
    Throwable t = cause;
    for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
      if (t instanceof IOException io) {
        return io;
      }
      if (t instanceof UncheckedIOException unchecked) {
        return unchecked.getCause();
      }
    }
    return null;
  }

  /** The library is not loaded on this server: it restarted empty, or was flushed. */
  static boolean isFunctionMissing(Throwable cause) {
    String message = String.valueOf(cause.getMessage());
    return cause instanceof RedisCommandExecutionException
        && (message.contains("Function not found") || message.contains("Library not found"));
  }

  private static boolean isUnavailableReply(String message) {
    return message.startsWith("LOADING")
        || message.startsWith("BUSY")
        || message.startsWith("MASTERDOWN")
        || message.startsWith("CLUSTERDOWN")
        || message.startsWith("TRYAGAIN")
        || message.startsWith("READONLY")
        || message.startsWith("OOM")
        || message.startsWith("NOREPLICAS");
  }

  static Throwable unwrap(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
