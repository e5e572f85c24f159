package io.couponflow.bench.scenario;

import io.couponflow.bench.naive.NaiveRedemptions;
import io.couponflow.bench.rig.InvariantViolation;
import io.couponflow.bench.rig.Progress;
import io.couponflow.config.JdbcSettings;
import io.couponflow.sql.Database;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;

/**
 * S2, the naive baseline: the same redemptions as most teams write them, one MySQL transaction each
 * that locks the coupon row. Ends with the naive coupon checked: remaining + rows = total.
 */
public final class S2Naive {
  public record Result(double acceptedPerSecond, long accepted, long failed)
      implements Measurement {
    @Override
    public String scenario() {
      return "S2";
    }
  }

  private final JdbcSettings jdbc;
  private final int threads;
  private final Duration duration;
  private final Progress progress;

  public S2Naive(JdbcSettings jdbc, int threads, Duration duration, Progress progress) {
    this.jdbc = jdbc;
    this.threads = threads;
    this.duration = duration;
    this.progress = progress;
  }

  public Result run(long couponId) throws SQLException, InterruptedException {
    progress.say("S2: naive SELECT ... FOR UPDATE in MySQL, %d threads", threads);
    JdbcSettings pool =
        new JdbcSettings(
            jdbc.url(), jdbc.user(), jdbc.password(), threads + 2, Duration.ofSeconds(30));
    try (Database naiveDb = Database.open(pool, "couponflow-bench-naive")) {
      NaiveRedemptions naive = new NaiveRedemptions(naiveDb.dataSource());
      naive.setUp(couponId, 1_000_000_000_000L);
      naive.run(couponId, "w", threads, Duration.ofSeconds(1));
      NaiveRedemptions.Result r = naive.run(couponId, "m", threads, duration);
      long[] state = naive.remainingAndRows(couponId);
      if (state[0] < 0 || state[0] + state[2] != state[1]) {
        throw new InvariantViolation(
            String.format(
                Locale.ROOT,
                "S2: naive coupon OVERSOLD or inconsistent: remaining %d + rows %d != total %d",
                state[0],
                state[2],
                state[1]));
      }
      Result result = new Result(r.acceptedPerSecond(), r.accepted(), r.failed());
      progress.say("S2: %,.0f/s", result.acceptedPerSecond());
      return result;
    }
  }
}
