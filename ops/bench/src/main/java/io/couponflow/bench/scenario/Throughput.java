package io.couponflow.bench.scenario;

import io.couponflow.bench.load.LoadResult;
import io.couponflow.bench.load.Wrk;
import java.time.Duration;
import java.util.Locale;

/**
 * A closed-loop load's outcome, whichever tool made it.
 *
 * @param created answers 201
 * @param sold answers 409 (wrk: every answer outside 2xx)
 * @param unknown requests whose answer never came (wrk: socket errors, plus one in flight per
 *     connection when it stopped); Redis may have accepted them
 */
public record Throughput(
    long answered, long created, long sold, long serverErrors, long unknown, Duration elapsed) {
  static Throughput of(LoadResult r) {
    long server = 0;
    for (var e : r.statuses().entrySet()) {
      if (e.getKey() >= 500) {
        server += e.getValue();
      }
    }
    return new Throughput(
        r.answered(), r.count(201), r.count(409), server, r.failed(), r.elapsed());
  }

  static Throughput of(Wrk.Result r) {
    return new Throughput(
        r.requests(),
        r.requests() - r.non2xx(),
        r.non2xx(),
        0,
        r.socketErrors() + r.connections(),
        r.elapsed());
  }

  /** Answers per second over the load. */
  public double answeredPerSecond() {
    return answered / LoadShape.seconds(elapsed);
  }

  public String note() {
    return String.format(
        Locale.ROOT,
        "%,d answers in %.1f s, %,d of them 201",
        answered,
        LoadShape.seconds(elapsed),
        created);
  }
}
