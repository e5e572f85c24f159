package io.couponflow.preheat;

import java.io.PrintWriter;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shows how far a run is: a bar redrawn in place on a terminal, or a plain line in the log every
 * few seconds otherwise (a scheduler's log is no place for a bar).
 *
 * <p>Thread-safety: not thread-safe; the loading thread reports.
 */
abstract class Progress {
  private static final Logger log = LoggerFactory.getLogger(Progress.class);

  private final long startNanos = System.nanoTime();
  private long total = -1;

  /** A bar on {@code out} when it is a terminal, log lines otherwise. */
  static Progress of(boolean terminal, PrintWriter out) {
    return terminal ? new Bar(out) : new Lines();
  }

  /** How many coupons the run expects, or -1 when unknown. */
  final void expect(long expected) {
    this.total = expected;
  }

  /** Reports that {@code done} coupons have been handled so far. */
  abstract void advance(long done);

  /** The run is over (ends the bar's line). */
  abstract void finish(long done);

  final String describe(long done) {
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    long rate = Math.round(done / seconds);
    if (total > 0) {
      long percent = Math.min(100, done * 100 / total);
      String eta = rate > 0 && done < total ? String.format(" eta %ds", (total - done) / rate) : "";
      return String.format(
          Locale.ROOT, "%d/%d coupons (%d%%), %d/s%s", done, total, percent, rate, eta);
    }
    return String.format(Locale.ROOT, "%d coupons, %d/s", done, rate);
  }

  final long total() {
    return total;
  }

  /** A one-line bar, redrawn at most ten times a second. */
  static final class Bar extends Progress {
    private static final int WIDTH = 30;
    private final PrintWriter out;
    private long lastDrawNanos;

    Bar(PrintWriter out) {
      this.out = out;
    }

    @Override
    void advance(long done) {
      long now = System.nanoTime();
      if (now - lastDrawNanos < 100_000_000L) {
        return;
      }
      lastDrawNanos = now;
      draw(done);
    }

    @Override
    void finish(long done) {
      draw(done);
      out.println();
      out.flush();
    }

    private void draw(long done) {
      int filled = total() > 0 ? (int) Math.min(WIDTH, done * WIDTH / total()) : 0;
      out.print(
          "\r["
              + "#".repeat(filled)
              + (total() > 0 ? ".".repeat(WIDTH - filled) : "?".repeat(WIDTH - filled))
              + "] "
              + describe(done)
              + "   ");
      out.flush();
    }
  }

  /** A log line every five seconds. */
  static final class Lines extends Progress {
    private long lastLineNanos = System.nanoTime();

    @Override
    void advance(long done) {
      long now = System.nanoTime();
      if (now - lastLineNanos >= 5_000_000_000L) {
        lastLineNanos = now;
        log.info("Progress: {}", describe(done));
      }
    }

    @Override
    void finish(long done) {}
  }
}
