package io.couponflow.preheat;

import java.time.Duration;
import java.util.Locale;

/**
 * What a run did, as the final line a scheduler reads and the exit code it acts on.
 *
 * @param source where definitions came from: {@code mysql}, {@code snapshot}, {@code
 *     mysql+snapshot} (MySQL failed part way), or {@code none}
 * @param reason why the run is partial or failed; null when it is OK
 */
record Summary(
    long loaded,
    long alreadyLive,
    long updated,
    long restocked,
    long failed,
    String source,
    Duration duration,
    Result result,
    String reason,
    boolean dryRun) {

  /** How a run ended. */
  enum Result {
    /** Everything selected is live in Redis. Exit 0. */
    OK(0),
    /**
     * Some of it is not (Redis stopped, the snapshot stood in for MySQL, coupons refused). Exit 2.
     */
    PARTIAL(2),
    /** Nothing could be done (no readable source, schema behind, a bug). Exit 1. */
    FAILED(1);

    final int exitCode;

    Result(int exitCode) {
      this.exitCode = exitCode;
    }
  }

  static Summary of(
      Tally t, String source, Duration duration, Result result, String reason, boolean dryRun) {
    return new Summary(
        t.loaded,
        t.alreadyLive,
        t.updated,
        t.restocked,
        t.failed,
        source,
        duration,
        result,
        reason,
        dryRun);
  }

  int exitCode() {
    return result.exitCode;
  }

  /** The summary line. */
  String line() {
    StringBuilder b =
        new StringBuilder(
            String.format(
                Locale.ROOT,
                "preheat%s: loaded=%d already_live=%d updated=%d restocked=%d failed=%d source=%s"
                    + " duration=%.1fs result=%s",
                dryRun ? " (dry run)" : "",
                loaded,
                alreadyLive,
                updated,
                restocked,
                failed,
                source,
                duration.toMillis() / 1000.0,
                result.name().toLowerCase(Locale.ROOT)));
    if (reason != null) {
      b.append(" reason=\"").append(reason.replace('"', '\'')).append('"');
    }
    return b.toString();
  }
}
