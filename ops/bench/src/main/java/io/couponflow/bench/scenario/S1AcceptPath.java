package io.couponflow.bench.scenario;

import io.couponflow.bench.load.RedemptionRequests;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.CpuMeter;
import io.couponflow.bench.rig.CpuUsage;
import io.couponflow.bench.rig.GatewayJvm;
import io.couponflow.bench.rig.Progress;
import io.couponflow.bench.rig.Sleep;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * S1, the accept path: {@code POST /v1/redemptions} through the gateway, every key, user and order
 * new, on keep-alive connections one request at a time, with the CPU of every process taking part
 * and the outbox lag sampled meanwhile.
 *
 * <p>Honest warm-up ({@link #honest}): after the warm-up, S1 is measured, then measured again; when
 * the two differ by more than {@value #AGREEMENT_PERCENT}%, the JVM was still warming up, so it is
 * warmed up once more and measured again, at most {@value #MAX_EXTRA_WARMUPS} times. The figure is
 * the last measurement; whether the last two agreed is part of the result.
 *
 * <p>After every measured load: Redis accepted exactly the 201s the clients saw, the coupon's
 * counters hold, and once the outbox drains MySQL holds one row per accepted redemption.
 */
public final class S1AcceptPath {
  static final int AGREEMENT_PERCENT = 10;
  static final int MAX_EXTRA_WARMUPS = 2;
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);

  /**
   * One measured load.
   *
   * @param cpu microseconds per accepted redemption: gateway, redis, mysql, load (the generator)
   * @param sinkBatches the sink's MySQL batches during the load
   * @param rowsPerBatch their average size
   * @param maxLagMillis the oldest pending outbox entry's age, at most, sampled every 50 ms
   */
  public record Run(
      String tag,
      double acceptedPerSecond,
      long accepted,
      Throughput load,
      CpuUsage cpu,
      double sinkBatches,
      double rowsPerBatch,
      double maxLagMillis) {}

  /**
   * @param runs every measured load, in order: first, repeat, then one per extra warm-up
   * @param agreed whether the last two were within {@value #AGREEMENT_PERCENT}% of each other
   * @param extraWarmups warm-ups added because they were not (yet)
   * @param heapAfterGcBytes the gateway's heap after a full GC at the end, when asked and known
   */
  public record Result(
      long couponId,
      List<Run> runs,
      boolean agreed,
      int extraWarmups,
      Duration extraWarmup,
      OptionalDouble heapAfterGcBytes)
      implements Measurement {
    public Result {
      runs = List.copyOf(runs);
      if (runs.size() < 2) {
        throw new IllegalArgumentException("runs: " + runs.size() + " (expected: >= 2)");
      }
    }

    @Override
    public String scenario() {
      return "S1";
    }

    public Run first() {
      return runs.get(0);
    }

    /** The measurement that counts: the last, taken once the warm-up stopped changing it. */
    public Run settled() {
      return runs.get(runs.size() - 1);
    }

    public double acceptedPerSecond() {
      return settled().acceptedPerSecond();
    }

    /** The highest outbox lag seen during any measured load. */
    public double maxLagMillis() {
      return runs.stream().mapToDouble(Run::maxLagMillis).max().orElse(Double.NaN);
    }
  }

  private final String label;
  private final BenchEnvironment env;
  private final GatewayJvm gateway;
  private final ClosedLoop load;
  private final long couponId;
  private final Progress progress;

  /**
   * @param label the scenario's name in messages ("S1", "S1-launcher", "fence")
   */
  public S1AcceptPath(
      String label,
      BenchEnvironment env,
      GatewayJvm gateway,
      ClosedLoop load,
      long couponId,
      Progress progress) {
    this.label = label;
    this.env = env;
    this.gateway = gateway;
    this.load = load;
    this.couponId = couponId;
    this.progress = progress;
  }

  /** The stock of S1's coupon: more than any run on this kind of machine can take. */
  public static final long STOCK = 50_000_000;

  /** Creates the coupon, with the production choice of buckets. */
  public void createCoupon() {
    env.createCoupon(couponId, "bench " + label, STOCK, 0);
  }

  /**
   * Creates the coupon, warms the gateway up, and measures until the warm-up stops changing the
   * figure (see the class comment).
   *
   * @param recording where to write a flight recording of the first measured load, if anywhere
   * @param heap whether to read the gateway's heap after a full GC at the end
   */
  public Result honest(Optional<Path> recording, boolean heap) {
    createCoupon();
    LoadShape shape = load.shape();
    warmUp("w", shape.warmup());
    List<Run> runs = new ArrayList<>();
    runs.add(measure("a", recording));
    runs.add(measure("r", Optional.empty()));
    Duration extra =
        shape.warmup().compareTo(shape.duration()) > 0 ? shape.warmup() : shape.duration();
    int extraWarmups = 0;
    while (!agree(runs.get(runs.size() - 2), runs.get(runs.size() - 1))
        && extraWarmups < MAX_EXTRA_WARMUPS) {
      extraWarmups++;
      progress.say(
          "%s: the repeat moved %+.0f%% from the run before; warming up %d s more (%d of at most %d)",
          label,
          change(runs.get(runs.size() - 2), runs.get(runs.size() - 1)) * 100,
          extra.toSeconds(),
          extraWarmups,
          MAX_EXTRA_WARMUPS);
      warmUp("w" + extraWarmups, extra);
      runs.add(measure("x" + extraWarmups, Optional.empty()));
    }
    boolean agreed = agree(runs.get(runs.size() - 2), runs.get(runs.size() - 1));
    OptionalDouble heapAfterGc = heap ? gateway.heapAfterGc() : OptionalDouble.empty();
    return new Result(couponId, runs, agreed, extraWarmups, extra, heapAfterGc);
  }

  /** Whether {@code later} is within {@value #AGREEMENT_PERCENT}% of {@code earlier}. */
  static boolean agree(Run earlier, Run later) {
    return Math.abs(change(earlier, later)) <= AGREEMENT_PERCENT / 100.0;
  }

  private static double change(Run earlier, Run later) {
    return (later.acceptedPerSecond() - earlier.acceptedPerSecond()) / earlier.acceptedPerSecond();
  }

  /** An unmeasured load, then the outbox drained and checked. */
  public void warmUp(String tag, Duration duration) {
    if (duration.isZero()) {
      return;
    }
    progress.say("%s: warm-up %d s", label, duration.toSeconds());
    load.run(new RedemptionRequests(couponId, tag, ClosedLoop.HOST), duration);
    env.awaitDrained(label + " warm-up", couponId, DRAIN_TIMEOUT);
  }

  /** One measured load, with every check after it. */
  public Run measure(String tag, Optional<Path> recording) {
    LoadShape shape = load.shape();
    progress.say(
        "%s: %d connections for %d s (%s)",
        label, shape.connections(), shape.duration().toSeconds(), shape.tool());
    long before = env.checkRedis(label, couponId).accepted();
    CpuMeter cpu =
        new CpuMeter()
            .watch("gateway", gateway.pid())
            .watch("redis", env.redisPid())
            .watch("mysql", env.mysqlPid())
            .watch("load", ProcessHandle.current().pid());
    recording.ifPresent(r -> gateway.startRecording());
    LagSampler lag = new LagSampler(env, couponId);
    double batchesBefore = gateway.metric("couponflow_sink_batch_size_count");
    double rowsBefore = gateway.metric("couponflow_sink_batch_size_sum");
    var cpuBefore = cpu.sample();
    Throughput t;
    try {
      t = load.run(new RedemptionRequests(couponId, tag, ClosedLoop.HOST), shape.duration());
    } finally {
      lag.stop();
    }
    var cpuAfter = cpu.sample();
    double batches = gateway.metric("couponflow_sink_batch_size_count") - batchesBefore;
    double rows = gateway.metric("couponflow_sink_batch_size_sum") - rowsBefore;
    recording.ifPresent(gateway::stopRecording);
    long accepted = Invariants.acceptedDuring(env, label, couponId, before, t);
    env.awaitDrained(label, couponId, DRAIN_TIMEOUT);
    Run run =
        new Run(
            tag,
            accepted / LoadShape.seconds(t.elapsed()),
            accepted,
            t,
            CpuMeter.perUnit(cpuBefore, cpuAfter, accepted),
            batches,
            rows / batches,
            lag.maxMillis());
    progress.say(
        "%s: %,.0f/s accepted; outbox lag at most %.0f ms",
        label, run.acceptedPerSecond(), run.maxLagMillis());
    return run;
  }

  /** Samples a coupon's outbox lag (the age of its oldest pending entry) until stopped. */
  private static final class LagSampler {
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong maxMillis = new AtomicLong();
    private final Thread thread;

    LagSampler(BenchEnvironment env, long couponId) {
      thread =
          new Thread(
              () -> {
                while (running.get()) {
                  try {
                    long age = env.inspect(couponId).oldestPendingAge().toMillis();
                    maxMillis.accumulateAndGet(age, Math::max);
                  } catch (RuntimeException e) {
                    // a slow answer under load: the next sample counts
                  }
                  Sleep.millis(50);
                }
              },
              "bench-lag-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() {
      running.set(false);
      try {
        thread.join(5_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    double maxMillis() {
      return maxMillis.get();
    }
  }
}
