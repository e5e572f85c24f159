package io.couponflow.bench.scenario;

import io.couponflow.bench.load.RedemptionRequests;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.InvariantViolation;
import io.couponflow.bench.rig.Progress;
import io.couponflow.lua.LiveCoupon;
import java.time.Duration;

/**
 * S4, a sold-out storm: a coupon of {@value #STOCK} sells out, then the connections keep asking
 * with new keys, users and orders. Not one more may be accepted.
 */
public final class S4SoldOutStorm {
  public record Result(double rejectionsPerSecond, Throughput storm) implements Measurement {
    @Override
    public String scenario() {
      return "S4";
    }
  }

  static final long STOCK = 1_000;
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);

  private final BenchEnvironment env;
  private final ClosedLoop load;
  private final Progress progress;

  public S4SoldOutStorm(BenchEnvironment env, ClosedLoop load, Progress progress) {
    this.env = env;
    this.load = load;
    this.progress = progress;
  }

  public Result run(long couponId) {
    Duration duration = load.shape().duration();
    env.createCoupon(couponId, "bench S4", STOCK, 0);
    progress.say("S4: selling out %,d units, then a storm of %d s", STOCK, duration.toSeconds());
    Throughput sellOut =
        load.run(new RedemptionRequests(couponId, "s", ClosedLoop.HOST), Duration.ofSeconds(2));
    Invariants.acceptedDuring(env, "S4 sell-out", couponId, 0, sellOut);
    LiveCoupon sold = env.checkRedis("S4", couponId);
    if (sold.stock() != 0) {
      throw new IllegalStateException(
          "S4: the coupon did not sell out in 2 s (" + sold.stock() + " left)");
    }
    Throughput storm = load.run(new RedemptionRequests(couponId, "x", ClosedLoop.HOST), duration);
    if (storm.created() != 0) {
      throw new InvariantViolation(
          "S4: " + storm.created() + " redemptions accepted after sell-out");
    }
    Invariants.acceptedDuring(env, "S4", couponId, STOCK, storm);
    Result result = new Result(storm.sold() / LoadShape.seconds(storm.elapsed()), storm);
    progress.say("S4: %,.0f/s rejections", result.rejectionsPerSecond());
    env.awaitDrained("S4", couponId, DRAIN_TIMEOUT);
    return result;
  }
}
