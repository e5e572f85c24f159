package io.couponflow.bench.load;

import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.HdrHistogram.Histogram;

/**
 * What one load run came to.
 *
 * @param statuses answers by HTTP status
 * @param failed requests whose answer never came (the connection failed); Redis may or may not have
 *     decided them
 * @param elapsed from the first request to the last answer
 * @param latency microseconds per request; in an open-loop run measured from the moment each
 *     request was meant to be sent, so a stall shows up in every request it delayed
 * @param generatorLag open loop only: microseconds the generator's own timer ran late, a stall of
 *     the generator (not of the server) that the latency includes
 */
public record LoadResult(
    Map<Integer, Long> statuses,
    long failed,
    Duration elapsed,
    Histogram latency,
    Histogram generatorLag) {

  public LoadResult {
    statuses = new TreeMap<>(statuses);
  }

  public long answered() {
    return statuses.values().stream().mapToLong(Long::longValue).sum();
  }

  public long count(int status) {
    return statuses.getOrDefault(status, 0L);
  }

  /** A latency percentile in milliseconds. */
  public double percentileMillis(double percentile) {
    return latency.getValueAtPercentile(percentile) / 1000.0;
  }

  @Override
  public String toString() {
    return "answers " + statuses + ", failed " + failed + " in " + elapsed.toMillis() + " ms";
  }
}
