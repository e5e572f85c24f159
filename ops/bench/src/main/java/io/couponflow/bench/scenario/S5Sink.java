package io.couponflow.bench.scenario;

import io.couponflow.bench.rig.Progress;
import io.couponflow.bench.sink.SinkBench;
import io.couponflow.config.JdbcSettings;

/**
 * S5, the sink: rows per second of its batched writes against single-row autocommit inserts ({@code
 * couponflow-bench sink}), in a scratch database of their own. (The outbox lag during S1 is S1's
 * measurement.)
 */
public final class S5Sink {
  public record Result(
      String bestMethod, double bestRowsPerSecond, double singleRowsPerSecond, double speedup)
      implements Measurement {
    @Override
    public String scenario() {
      return "S5";
    }
  }

  private final JdbcSettings jdbc;
  private final Progress progress;

  public S5Sink(JdbcSettings jdbc, Progress progress) {
    this.jdbc = jdbc;
    this.progress = progress;
  }

  public Result run() {
    progress.say("S5: sink, batched against single-row inserts");
    SinkBench.Comparison c = SinkBench.compare(jdbc, 20_000, 2_000, 500);
    return new Result(
        c.best().method(), c.best().rowsPerSecond(), c.single().rowsPerSecond(), c.speedup());
  }
}
