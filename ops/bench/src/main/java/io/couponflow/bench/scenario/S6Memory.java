package io.couponflow.bench.scenario;

import io.couponflow.bench.load.RedemptionRequests;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.GatewayJvm;
import io.couponflow.bench.rig.Progress;
import java.time.Duration;
import java.util.OptionalDouble;

/**
 * S6, memory: S1 once more, then the gateway's heap after a full GC against the one after S1 (it
 * must stay flat); and a coupon of {@value #STOCK} units sold out through the gateway, outbox
 * drained: the Redis bytes it keeps per redemption.
 */
public final class S6Memory {
  /**
   * @param bytesPerRedemption the sum of MEMORY USAGE over the coupon's keys, per redemption
   * @param usedMemoryPerRedemption INFO used_memory's move per redemption (the whole server's)
   * @param heapAfterS1Bytes the gateway's heap after a full GC after S1 (S1's measurement)
   * @param heapAfterAgainBytes the same after S1 again
   */
  public record Result(
      double bytesPerRedemption,
      double usedMemoryPerRedemption,
      long redemptions,
      OptionalDouble heapAfterS1Bytes,
      OptionalDouble heapAfterAgainBytes,
      double againAcceptedPerSecond,
      long againAccepted)
      implements Measurement {
    @Override
    public String scenario() {
      return "S6";
    }

    /** The second heap within 10% + 4 MB of the first; empty when either is unknown. */
    public java.util.Optional<Boolean> heapFlat() {
      if (heapAfterS1Bytes.isEmpty() || heapAfterAgainBytes.isEmpty()) {
        return java.util.Optional.empty();
      }
      return java.util.Optional.of(
          heapAfterAgainBytes.getAsDouble()
              <= heapAfterS1Bytes.getAsDouble() * 1.10 + 4 * 1024 * 1024);
    }
  }

  static final long STOCK = 65_536;
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);

  private final BenchEnvironment env;
  private final GatewayJvm gateway;
  private final ClosedLoop load;
  private final Progress progress;

  public S6Memory(BenchEnvironment env, GatewayJvm gateway, ClosedLoop load, Progress progress) {
    this.env = env;
    this.gateway = gateway;
    this.load = load;
    this.progress = progress;
  }

  /**
   * @param s1CouponId S1's coupon, still live
   * @param heapAfterS1 S1's heap after a full GC
   */
  public Result run(long s1CouponId, OptionalDouble heapAfterS1, long couponId) {
    Duration duration = load.shape().duration();
    progress.say("S6: S1 again, %d s", duration.toSeconds());
    long before = env.checkRedis("S6", s1CouponId).accepted();
    Throughput again = load.run(new RedemptionRequests(s1CouponId, "b", ClosedLoop.HOST), duration);
    long accepted = Invariants.acceptedDuring(env, "S6", s1CouponId, before, again);
    env.awaitDrained("S6", s1CouponId, DRAIN_TIMEOUT);
    OptionalDouble heapAgain = gateway.heapAfterGc();

    progress.say("S6: using up a coupon of %,d units", STOCK);
    long usedBefore = env.usedMemory();
    env.createCoupon(couponId, "bench S6", STOCK, 0);
    long baseline = env.memoryUsage(couponId);
    for (int i = 0; i < 30 && env.checkRedis("S6", couponId).stock() > 0; i++) {
      long filled = env.checkRedis("S6", couponId).accepted();
      Throughput fill =
          load.run(
              new RedemptionRequests(couponId, "f" + i, ClosedLoop.HOST), Duration.ofSeconds(2));
      Invariants.acceptedDuring(env, "S6 fill", couponId, filled, fill);
    }
    if (env.checkRedis("S6", couponId).stock() != 0) {
      throw new IllegalStateException("S6: the coupon did not sell out");
    }
    env.awaitDrained("S6", couponId, DRAIN_TIMEOUT);
    long bytes = env.memoryUsage(couponId) - baseline;
    long usedDelta = env.usedMemory() - usedBefore;
    Result result =
        new Result(
            (double) bytes / STOCK,
            (double) usedDelta / STOCK,
            STOCK,
            heapAfterS1,
            heapAgain,
            accepted / LoadShape.seconds(again.elapsed()),
            accepted);
    progress.say(
        "S6: %.1f B per redemption; heap %.1f MB then %.1f MB",
        result.bytesPerRedemption(),
        heapAfterS1.orElse(Double.NaN) / 1e6,
        heapAgain.orElse(Double.NaN) / 1e6);
    return result;
  }
}
