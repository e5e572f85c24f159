package io.couponflow.bench.scenario;

import io.couponflow.bench.load.RedisBenchmark;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.CpuMeter;
import io.couponflow.bench.rig.CpuUsage;
import io.couponflow.bench.rig.InvariantViolation;
import io.couponflow.bench.rig.Progress;
import io.couponflow.lua.LiveCoupon;
import java.time.Duration;

/**
 * S0, the limit: {@code redis-benchmark} calling {@code FCALL cf_redeem} directly on a one-bucket
 * coupon with ample stock, every key, user and order its own. Ends with the coupon's counters and
 * its outbox checked (one entry per accepted redemption), then deletes it.
 */
public final class S0Limit {
  /**
   * @param acceptedPerSecond calls per second times the share of them accepted
   * @param cpu microseconds per accepted redemption of redis-server and redis-benchmark
   */
  public record Result(
      double acceptedPerSecond, long calls, long accepted, double p50Millis, CpuUsage cpu)
      implements Measurement {
    @Override
    public String scenario() {
      return "S0";
    }
  }

  /** redis-benchmark may draw the same random numbers in two runs started within a second. */
  private static final long WARMUP_CALLS = 20_000;

  private final BenchEnvironment env;
  private final int connections;
  private final Duration duration;
  private final Progress progress;

  public S0Limit(BenchEnvironment env, int connections, Duration duration, Progress progress) {
    this.env = env;
    this.connections = connections;
    this.duration = duration;
    this.progress = progress;
  }

  /**
   * Warms Redis up on {@code warmupCouponId}, then measures on {@code couponId}; both are created
   * here and deleted after their checks (the warm-up has a coupon of its own so the measured run
   * never replays its keys).
   */
  public Result run(long couponId, long warmupCouponId) {
    progress.say("S0: redis-benchmark, %d connections, FCALL cf_redeem", connections);
    var uri = env.redisSettings().uris().get(0);
    env.createCoupon(warmupCouponId, "bench S0 warm-up", 1_000_000_000_000L, 1);
    RedisBenchmark.Result warm =
        RedisBenchmark.redeem(uri, env.singleBucketKeys(warmupCouponId), connections, WARMUP_CALLS);
    env.checkRedis("S0 warm-up", warmupCouponId);
    env.deleteCoupon(warmupCouponId);
    env.createCoupon(couponId, "bench S0", 1_000_000_000_000L, 1);
    try {
      var keys = env.singleBucketKeys(couponId);
      long before = env.checkRedis("S0", couponId).accepted();
      long requests = calls(warm.requestsPerSecond(), duration);
      CpuMeter cpu =
          new CpuMeter()
              .watch("redis", env.redisPid())
              .watch("load", ProcessHandle.current().pid());
      var cpuBefore = cpu.sample();
      RedisBenchmark.Result r = RedisBenchmark.redeem(uri, keys, connections, requests);
      var cpuAfter = cpu.sample();
      LiveCoupon after = env.checkRedis("S0", couponId);
      long accepted = after.accepted() - before;
      long outbox = env.outboxLength(couponId);
      if (outbox != after.accepted()) {
        throw new InvariantViolation(
            "S0: coupon "
                + couponId
                + " accepted "
                + after.accepted()
                + " but its outbox holds "
                + outbox);
      }
      Result result =
          new Result(
              r.requestsPerSecond() * accepted / r.requests(),
              r.requests(),
              accepted,
              r.p50Millis(),
              CpuMeter.perUnit(cpuBefore, cpuAfter, accepted));
      progress.say(
          "S0: %,.0f/s accepted (%,d of %,d calls)",
          result.acceptedPerSecond(), accepted, r.requests());
      return result;
    } finally {
      env.deleteCoupon(couponId);
    }
  }

  /** Enough calls to last about {@code duration} at the warm-up's rate, within sane bounds. */
  static long calls(double warmRate, Duration duration) {
    return Math.max(
        WARMUP_CALLS, Math.min(5_000_000, (long) (warmRate * LoadShape.seconds(duration))));
  }
}
