package io.couponflow.ops;

import java.util.Locale;

/** Numbers the way an operator reads them: "1 entry", "3 entries", "850ms", "18.5s", "3m12s". */
public final class Human {
  private Human() {}

  /** {@code n} and the noun, in the plural unless {@code n} is 1. */
  public static String count(long n, String singular, String plural) {
    return n + " " + (n == 1 ? singular : plural);
  }

  /** An age or a wait: milliseconds below a second, tenths of seconds below a minute. */
  public static String age(long millis) {
    long ms = Math.max(0, millis);
    if (ms < 1000) {
      return ms + "ms";
    }
    if (ms < 60_000) {
      return String.format(Locale.ROOT, "%.1fs", ms / 1000.0);
    }
    long s = ms / 1000;
    if (s < 3600) {
      return String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
  }
}
