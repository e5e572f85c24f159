package io.couponflow.bench.rig;

import java.io.PrintWriter;
import java.util.Locale;

/** The bench's running commentary: one line per step, prefixed {@code bench:}. */
@FunctionalInterface
public interface Progress {
  void say(String format, Object... args);

  /** Lines on {@code out}, flushed at once. */
  static Progress to(PrintWriter out) {
    return (format, args) -> {
      out.printf(Locale.ROOT, "bench: " + format + "%n", args);
      out.flush();
    };
  }
}
