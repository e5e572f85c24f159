package io.couponflow.bench.scenario;

import io.couponflow.bench.load.LoadResult;
import io.couponflow.bench.load.RedemptionRequests;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.GatewayJvm;
import io.couponflow.bench.rig.Progress;
import java.time.Duration;

/**
 * S3, latency: an open loop at a given rate (half of S1's), requests due on a fixed schedule
 * whatever the server does, latency measured from each request's intended send time; with the
 * gateway's GC pauses, Redis's SLOWLOG and the generator's own lateness meanwhile.
 */
public final class S3Latency {
  /**
   * @param gcPauses the gateway's GC pauses during the load, {@code gcMillis} long in all
   * @param slowCommands Redis SLOWLOG entries during the load, the longest {@code slowestMillis}
   * @param generatorLateMillis how late the generator's own timer ran, at most
   */
  public record Result(
      double ratePerSecond,
      double p50Millis,
      double p99Millis,
      double p999Millis,
      double maxMillis,
      long answered,
      double gcPauses,
      double gcMillis,
      long slowCommands,
      double slowestMillis,
      double generatorLateMillis)
      implements Measurement {
    @Override
    public String scenario() {
      return "S3";
    }
  }

  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);

  private final BenchEnvironment env;
  private final GatewayJvm gateway;
  private final ClosedLoop load;
  private final Progress progress;

  public S3Latency(BenchEnvironment env, GatewayJvm gateway, ClosedLoop load, Progress progress) {
    this.env = env;
    this.gateway = gateway;
    this.load = load;
    this.progress = progress;
  }

  /** On a live coupon (S1's), at {@code rate} requests a second. */
  public Result run(long couponId, double rate) {
    Duration duration = load.shape().duration();
    progress.say("S3: open loop at %,.0f/s for %d s", rate, duration.toSeconds());
    long warm = env.checkRedis("S3", couponId).accepted();
    Throughput warmUp =
        Throughput.of(
            load.openLoop(
                new RedemptionRequests(couponId, "lw", ClosedLoop.HOST),
                rate,
                Duration.ofSeconds(3)));
    Invariants.acceptedDuring(env, "S3 warm-up", couponId, warm, warmUp);
    long before = env.checkRedis("S3", couponId).accepted();
    double gcCount = gateway.metric("jvm_gc_pause_seconds_count");
    double gcSum = gateway.metric("jvm_gc_pause_seconds_sum");
    long since = System.currentTimeMillis() / 1000;
    LoadResult r =
        load.openLoop(new RedemptionRequests(couponId, "l", ClosedLoop.HOST), rate, duration);
    long[] slow = env.slowCommandsSince(since);
    double pauses = gateway.metric("jvm_gc_pause_seconds_count") - gcCount;
    double pauseMillis = (gateway.metric("jvm_gc_pause_seconds_sum") - gcSum) * 1000;
    Invariants.acceptedDuring(env, "S3", couponId, before, Throughput.of(r));
    Result result =
        new Result(
            rate,
            r.percentileMillis(50),
            r.percentileMillis(99),
            r.percentileMillis(99.9),
            r.latency().getMaxValue() / 1000.0,
            r.answered(),
            pauses,
            pauseMillis,
            slow[0],
            slow[1] / 1000.0,
            r.generatorLag().getMaxValue() / 1000.0);
    progress.say(
        "S3: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms",
        result.p50Millis(), result.p99Millis(), result.p999Millis());
    env.awaitDrained("S3", couponId, DRAIN_TIMEOUT);
    return result;
  }
}
