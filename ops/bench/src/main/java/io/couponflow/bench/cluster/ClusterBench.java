package io.couponflow.bench.cluster;

import io.couponflow.bench.rig.LocalRedis;
import io.couponflow.config.RedisSettings;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedisStore;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code couponflow-bench cluster}: one redemption load spread over many coupons, run against a
 * Redis Cluster and against a single Redis node in the same run, with the throughput of each and
 * their ratio. By default both targets are private redis-server processes this command starts on
 * loopback and stops; {@code --single-uri} and {@code --cluster-uri} point it at running ones.
 */
@Command(
    name = "cluster",
    mixinStandardHelpOptions = true,
    description =
        "Redemption throughput on a Redis Cluster against a single Redis node, in the same run.")
public final class ClusterBench implements Callable<Integer> {
  private static final long STOCK = 100_000_000L;

  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--masters", defaultValue = "3", description = "Cluster masters to start.")
  int masters;

  @Option(
      names = "--coupons",
      defaultValue = "1024",
      description = "Coupons the load is spread over.")
  int coupons;

  @Option(names = "--seconds", defaultValue = "10", description = "Measured seconds per run.")
  int seconds;

  @Option(names = "--warmup-seconds", defaultValue = "3", description = "Unmeasured seconds first.")
  int warmupSeconds;

  @Option(
      names = "--in-flight",
      defaultValue = "256",
      description = "Redeems outstanding at once on the pipelined connection.")
  int inFlight;

  @Option(names = "--threads", defaultValue = "2", description = "Load generator threads.")
  int threads;

  @Option(
      names = "--rounds",
      defaultValue = "2",
      description = "Rounds; each runs the single node, then the cluster.")
  int rounds;

  @Option(names = "--redis-server", defaultValue = "redis-server", description = "Binary to start.")
  String redisServer;

  @Option(names = "--redis-cli", defaultValue = "redis-cli", description = "For cluster create.")
  String redisCli;

  @Option(names = "--single-uri", description = "Use this running Redis instead of starting one.")
  String singleUri;

  @Option(
      names = "--cluster-uri",
      description = "Use this running cluster (comma-separated URIs) instead of starting one.")
  String clusterUri;

  @Override
  public Integer call() throws Exception {
    require(masters >= 3, "--masters: " + masters + " (expected: >= 3)");
    require(coupons >= 1, "--coupons: " + coupons + " (expected: >= 1)");
    require(seconds >= 1, "--seconds: " + seconds + " (expected: >= 1)");
    require(warmupSeconds >= 0, "--warmup-seconds: " + warmupSeconds + " (expected: >= 0)");
    require(inFlight >= 1, "--in-flight: " + inFlight + " (expected: >= 1)");
    require(threads >= 1, "--threads: " + threads + " (expected: >= 1)");
    require(rounds >= 1, "--rounds: " + rounds + " (expected: >= 1)");
    PrintWriter out = spec.commandLine().getOut();
    out.printf(
        Locale.ROOT,
        "couponflow cluster bench: %d coupons, %d in flight, %d generator threads, %ds measured"
            + " after %ds warm-up, %d core(s) on this machine%n",
        coupons,
        inFlight,
        threads,
        seconds,
        warmupSeconds,
        Runtime.getRuntime().availableProcessors());
    out.printf(
        Locale.ROOT,
        "%-8s %5s %12s %9s %9s %9s %10s %7s %10s %s%n",
        "target",
        "round",
        "redeems/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "accepted",
        "failed",
        "redis us",
        "FCALL % per master");
    double single = 0;
    double cluster = 0;
    boolean consistent = true;
    try (LocalRedis singleNode =
            singleUri == null ? LocalRedis.single(redisServer, redisCli) : null;
        LocalRedis clusterNodes =
            clusterUri == null ? LocalRedis.cluster(redisServer, redisCli, masters) : null) {
      String singleTarget = singleUri != null ? singleUri : singleNode.uri();
      String clusterTarget = clusterUri != null ? clusterUri : clusterNodes.uri();
      for (int round = 1; round <= rounds; round++) {
        Run s = measure("single", round, singleTarget, out);
        Run c = measure("cluster", round, clusterTarget, out);
        single += s.result().perSecond();
        cluster += c.result().perSecond();
        consistent &= s.consistent() && c.consistent();
      }
    }
    single /= rounds;
    cluster /= rounds;
    out.printf(
        Locale.ROOT,
        "throughput: single node %.0f redeems/s, %d-master cluster %.0f redeems/s, ratio %.2fx%n",
        single,
        masters,
        cluster,
        cluster / single);
    out.println(
        "redis us = Redis CPU time per FCALL, summed over the target's masters; one core runs"
            + " about 1,000,000 / that many redemptions a second, and each master adds a core's"
            + " worth when it has a core of its own.");
    out.println(
        "note: the client and every Redis process share this machine's cores, so the ratio"
            + " shows how the load spreads over the masters, not how far a cluster of machines"
            + " scales.");
    if (!consistent) {
      out.println("FAILED: Redis counters do not match the accepted redemptions");
      return 1;
    }
    return 0;
  }

  private record Run(RedeemLoad.Result result, boolean consistent) {}

  private Run measure(String target, int round, String uri, PrintWriter out) throws Exception {
    String prefix = "bench-" + target + "-" + round + "-" + Long.toString(System.nanoTime(), 36);
    // The bench's own cluster has just started; its coupons are new: nothing to settle for.
    RedisSettings settings = RedisSettings.of(uri, prefix).withRepairSettle(Duration.ZERO);
    try (RedisStore redis = RedisStore.connect(settings)) {
      CouponLibrary.ensureLoaded(redis).join();
      CouponFunctions functions = new CouponFunctions(redis, Duration.ofHours(24));
      List<Coupon> defined = defineCoupons(functions);
      List<NodeStats> before = nodeStats(redis);
      RedeemLoad.Result r =
          new RedeemLoad(functions, defined, inFlight, threads)
              .run(Duration.ofSeconds(warmupSeconds), Duration.ofSeconds(seconds));
      List<NodeStats> after = nodeStats(redis);
      long counted = 0;
      for (Coupon c : defined) {
        LiveCoupon live = functions.coupon(c.couponId()).join().orElseThrow();
        counted += live.accepted();
      }
      double cpuSeconds = 0;
      long calls = 0;
      List<Long> callsPerMaster = new ArrayList<>();
      for (int i = 0; i < after.size(); i++) {
        cpuSeconds += after.get(i).cpuSeconds() - before.get(i).cpuSeconds();
        long nodeCalls = after.get(i).fcalls() - before.get(i).fcalls();
        calls += nodeCalls;
        callsPerMaster.add(nodeCalls);
      }
      StringBuilder spread = new StringBuilder();
      for (long nodeCalls : callsPerMaster) {
        spread.append(spread.length() == 0 ? "" : "/");
        spread.append(String.format(Locale.ROOT, "%.0f", 100.0 * nodeCalls / Math.max(1, calls)));
      }
      out.printf(
          Locale.ROOT,
          "%-8s %5d %12.0f %9.2f %9.2f %9.2f %10d %7d %10.1f %s%n",
          target,
          round,
          r.perSecond(),
          r.latencyMicros().getValueAtPercentile(50) / 1000.0,
          r.latencyMicros().getValueAtPercentile(99) / 1000.0,
          r.latencyMicros().getValueAtPercentile(99.9) / 1000.0,
          r.accepted(),
          r.failed(),
          1e6 * cpuSeconds / Math.max(1, calls),
          spread);
      out.flush();
      return new Run(r, counted == r.accepted());
    }
  }

  /** One master's cumulative CPU time and FCALL count. */
  private record NodeStats(double cpuSeconds, long fcalls) {}

  /** CPU seconds (user + system) and FCALLs so far on every master, in node order. */
  private static List<NodeStats> nodeStats(RedisStore redis) {
    return redis.infoOnEveryMaster("cpu", "commandstats").join().stream()
        .map(
            info ->
                new NodeStats(
                    field(info, "used_cpu_user") + field(info, "used_cpu_sys"),
                    (long) counter(info, "cmdstat_fcall:", "calls")))
        .toList();
  }

  private static double field(String info, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + ":([0-9.]+)").matcher(info);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private static double counter(String info, String line, String name) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(line) + ".*?" + name + "=([0-9.]+)").matcher(info);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }

  private List<Coupon> defineCoupons(CouponFunctions functions) {
    Instant now = Instant.now();
    List<Coupon> defined = new ArrayList<>(coupons);
    List<CompletableFuture<?>> loads = new ArrayList<>(coupons);
    for (int i = 1; i <= coupons; i++) {
      Coupon c =
          new Coupon(
              i,
              "bench " + i,
              STOCK,
              1,
              0,
              100,
              now.minusSeconds(60),
              now.plusSeconds(86_400),
              CouponStatus.ACTIVE,
              false,
              Coupon.bucketsFor(STOCK),
              1);
      defined.add(c);
      loads.add(functions.load(c, 0, 0, Duration.ZERO));
    }
    CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new)).join();
    return defined;
  }

  private void require(boolean condition, String message) {
    if (!condition) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), message);
    }
  }
}
