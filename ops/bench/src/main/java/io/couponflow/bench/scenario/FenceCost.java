package io.couponflow.bench.scenario;

import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.GatewayJvm;
import io.couponflow.bench.rig.LocalRedis;
import io.couponflow.bench.rig.Progress;
import io.couponflow.bench.rig.Sleep;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * "fence": what cf_redeem's fence check costs on the hot path. On a private redis-server of its own
 * (the bench never replaces the library of a Redis others use), S1 and S0 run with the library of
 * this build and with {@link FencelessLibrary}'s copy. The gateway starts against the fenceless
 * copy (it keeps it: a newer version) and gets twice the usual warm-up; then S1 is measured without
 * the fence, with it, with it, without it (ABBA, so that a steady drift of the machine weighs on
 * both alike), then S0 without it and with it. Each swap is checked (the version Redis answers; the
 * first time also a fenced coupon that the fenceless copy accepts). The real library is put back,
 * and checked (a fenced coupon answers FENCED again), whatever happens; then the private Redis is
 * stopped.
 */
public final class FenceCost {
  /** One measured S1 load, with the fence or without it. */
  public record Load(boolean fence, S1AcceptPath.Run run) {}

  /**
   * @param s1 S1's measured loads in the order they ran (empty when no gateway ran)
   * @param restoredVersion the library version Redis answered after the real library was put back
   */
  public record Result(
      List<Load> s1,
      S0Limit.Result s0Without,
      S0Limit.Result s0With,
      int fencelessVersion,
      int restoredVersion)
      implements Measurement {
    public Result {
      s1 = List.copyOf(s1);
    }

    @Override
    public String scenario() {
      return "fence";
    }

    /** S1's loads with the fence ({@code true}) or without it. */
    public List<S1AcceptPath.Run> s1(boolean fence) {
      return s1.stream().filter(l -> l.fence() == fence).map(Load::run).toList();
    }

    /** The mean of S1's loads with the fence ({@code true}) or without it. */
    public double s1PerSecond(boolean fence) {
      return s1(fence).stream()
          .mapToDouble(S1AcceptPath.Run::acceptedPerSecond)
          .average()
          .orElse(Double.NaN);
    }
  }

  /** The coupons this scenario uses; none of them is used by another. */
  public record Coupons(
      long s1, long s0With, long s0WithWarmup, long s0Without, long s0WithoutWarmup, long probe) {}

  private final BenchEnvironment main;
  private final String redisServer;
  private final String redisCli;
  private final Optional<GatewayJvm.Launch> gateway;
  private final Map<String, String> gatewayOverrides;
  private final LoadShape shape;
  private final Path log;
  private final Progress progress;

  /**
   * @param main the bench's corner; this scenario uses its database and key prefix on its own Redis
   * @param gateway how to start the gateway; empty to measure S0 alone
   * @param gatewayOverrides COUPON_* variables given on the command line (those naming Redis are
   *     ignored: this gateway talks to the private Redis)
   */
  public FenceCost(
      BenchEnvironment main,
      String redisServer,
      String redisCli,
      Optional<GatewayJvm.Launch> gateway,
      Map<String, String> gatewayOverrides,
      LoadShape shape,
      Path log,
      Progress progress) {
    this.main = main;
    this.redisServer = redisServer;
    this.redisCli = redisCli;
    this.gateway = gateway;
    this.gatewayOverrides = Map.copyOf(gatewayOverrides);
    this.shape = shape;
    this.log = log;
    this.progress = progress;
  }

  public Result run(Coupons coupons) {
    String real = CouponLibrary.source();
    String fenceless = FencelessLibrary.of(real);
    int fencelessVersion = FencelessLibrary.versionOf(fenceless);
    progress.say("fence: starting a private redis-server (%s)", redisServer);
    try (LocalRedis redis = LocalRedis.single(redisServer, redisCli);
        BenchEnvironment env = main.onRedis(redis.uri())) {
      awaitSettled(env);
      int restored = -1;
      try {
        swap(env, fenceless, fencelessVersion);
        probe(env, coupons.probe(), false);
        List<Load> s1 =
            gateway.isPresent()
                ? s1(env, real, fenceless, fencelessVersion, coupons.s1())
                : List.of();
        S0Limit s0 = new S0Limit(env, shape.connections(), shape.duration(), progress);
        progress.say("fence: S0 without the fence");
        S0Limit.Result s0Without = s0.run(coupons.s0Without(), coupons.s0WithoutWarmup());
        swap(env, real, CouponLibrary.version());
        progress.say("fence: S0 with the fence");
        S0Limit.Result s0With = s0.run(coupons.s0With(), coupons.s0WithWarmup());
        restored = restore(env, coupons.probe());
        return new Result(s1, s0Without, s0With, fencelessVersion, restored);
      } finally {
        if (restored < 0) {
          try {
            restore(env, coupons.probe());
          } catch (RuntimeException e) {
            progress.say("fence: could not put the real library back: %s", e);
          }
        }
      }
    }
  }

  /**
   * Without, with, with, without; the gateway started against the fenceless copy, which is loaded
   * again at the end.
   */
  private List<Load> s1(
      BenchEnvironment env, String real, String fenceless, int fencelessVersion, long couponId) {
    Map<String, String> variables = new HashMap<>(env.gatewayEnv());
    gatewayOverrides.forEach(
        (k, v) -> {
          if (!k.equals("COUPON_REDIS_URI") && !k.equals("COUPON_REDIS_PREFIX")) {
            variables.put(k, v);
          }
        });
    progress.say(
        "fence: starting the gateway against the fenceless library (version %d)", fencelessVersion);
    try (GatewayJvm jvm = GatewayJvm.start(gateway.get(), variables, log);
        ClosedLoop load = new ClosedLoop(shape, jvm.apiPort())) {
      int kept = env.libraryVersion();
      if (kept != fencelessVersion) {
        throw new IllegalStateException(
            "fence: the gateway replaced the fenceless library (version "
                + fencelessVersion
                + ") with version "
                + kept);
      }
      S1AcceptPath s1 = new S1AcceptPath("fence", env, jvm, load, couponId, progress);
      s1.createCoupon();
      s1.warmUp("w", shape.warmup().multipliedBy(2));
      List<Load> loads = new ArrayList<>();
      progress.say("fence: S1 without the fence");
      loads.add(new Load(false, s1.measure("n1", Optional.empty())));
      swap(env, real, CouponLibrary.version());
      progress.say("fence: S1 with the fence");
      loads.add(new Load(true, s1.measure("f1", Optional.empty())));
      progress.say("fence: S1 with the fence, again");
      loads.add(new Load(true, s1.measure("f2", Optional.empty())));
      swap(env, fenceless, fencelessVersion);
      progress.say("fence: S1 without the fence, again");
      loads.add(new Load(false, s1.measure("n2", Optional.empty())));
      return loads;
    }
  }

  /** FUNCTION LOAD REPLACE, then the version Redis answers must be the one loaded. */
  private static void swap(BenchEnvironment env, String source, int version) {
    env.replaceLibrary(source);
    int now = env.libraryVersion();
    if (now != version) {
      throw new IllegalStateException(
          "fence: loaded library version " + version + " but Redis answers " + now);
    }
  }

  /** Puts this build's library back and checks it fences again; returns the version Redis holds. */
  private static int restore(BenchEnvironment env, long probeCoupon) {
    swap(env, CouponLibrary.source(), CouponLibrary.version());
    probe(env, probeCoupon, true);
    return env.libraryVersion();
  }

  /**
   * A fenced coupon's redemption: the real library must answer FENCED, the fenceless copy must
   * accept it (then the surgery really cut the check out). The probe coupon is deleted after.
   */
  private static void probe(BenchEnvironment env, long couponId, boolean fenced) {
    env.loadFencedCoupon(couponId);
    try {
      RedeemOutcome outcome =
          BenchEnvironment.await(
              env.functions()
                  .redeem(new RedeemRequest(couponId, "k-probe", "u-probe", "o-probe", 35_000), 1));
      boolean ok =
          fenced
              ? outcome instanceof RedeemOutcome.Fenced
              : outcome instanceof RedeemOutcome.Accepted;
      if (!ok) {
        throw new IllegalStateException(
            "fence: a fenced coupon's redemption got "
                + outcome
                + " from the "
                + (fenced
                    ? "real library (expected: FENCED)"
                    : "fenceless copy (expected: ACCEPTED)"));
      }
    } finally {
      env.deleteCoupon(couponId);
    }
  }

  /**
   * A coupon is created live only once the node's incarnation is COUPON_REPAIR_SETTLE old: waits
   * for that on the fresh private Redis.
   */
  private static void awaitSettled(BenchEnvironment env) {
    long settle = env.redisSettings().repairSettle().toSeconds() + 1;
    long deadline = System.nanoTime() + Duration.ofSeconds(settle + 30).toNanos();
    while (env.uptimeSeconds() <= settle) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("fence: the private Redis's uptime did not move");
      }
      Sleep.millis(200);
    }
  }
}
