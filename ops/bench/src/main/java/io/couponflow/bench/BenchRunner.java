package io.couponflow.bench;

import io.couponflow.bench.load.LoadTool;
import io.couponflow.bench.load.RedisBenchmark;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.GatewayJvm;
import io.couponflow.bench.rig.LoadAverage;
import io.couponflow.bench.rig.Progress;
import io.couponflow.bench.scenario.AnswerSample;
import io.couponflow.bench.scenario.ClosedLoop;
import io.couponflow.bench.scenario.FenceCost;
import io.couponflow.bench.scenario.HBareNetty;
import io.couponflow.bench.scenario.LoadShape;
import io.couponflow.bench.scenario.Measurement;
import io.couponflow.bench.scenario.Results;
import io.couponflow.bench.scenario.S0Limit;
import io.couponflow.bench.scenario.S0Reference;
import io.couponflow.bench.scenario.S1AcceptPath;
import io.couponflow.bench.scenario.S1Launcher;
import io.couponflow.bench.scenario.S2Naive;
import io.couponflow.bench.scenario.S3Latency;
import io.couponflow.bench.scenario.S4SoldOutStorm;
import io.couponflow.bench.scenario.S5Sink;
import io.couponflow.bench.scenario.S6Memory;
import io.couponflow.bench.scenario.Skipped;
import io.couponflow.lua.CouponLibrary;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Runs the selected scenarios in order, each a class of its own returning its result as a value,
 * and hands each scenario the results it builds on (S3 runs at half of S1's rate, S6 compares the
 * heap with S1's, the report weighs the gateway's CPU against H's). Everything measured so far is
 * in {@link #results()}, also after a failure.
 *
 * <p>Thread-safety: one run per instance, on the calling thread (plus the scenarios' helpers).
 */
final class BenchRunner {
  static final long S0_COUPON = 1;
  static final long S2_COUPON = 2;
  static final long S0_WARMUP_COUPON = 3;
  static final long S1_COUPON = 10;
  static final long S1_LAUNCHER_COUPON = 11;
  static final long ANSWER_SAMPLE_COUPON = 12;
  static final long S4_COUPON = 20;
  static final long S6_COUPON = 30;
  static final FenceCost.Coupons FENCE_COUPONS = new FenceCost.Coupons(40, 41, 42, 43, 44, 49);

  private final BenchSettings settings;
  private final BenchEnvironment env;
  private final Progress progress;
  private final LoadShape shape;
  private Results results = Results.EMPTY;

  BenchRunner(BenchSettings settings, BenchEnvironment env, PrintWriter out) {
    this.settings = settings;
    this.env = env;
    this.progress = Progress.to(out);
    LoadTool tool = settings.load().resolve();
    this.shape =
        new LoadShape(
            settings.connections(),
            settings.duration(),
            settings.warmup(),
            tool,
            settings.results());
  }

  /** What was measured so far. */
  Results results() {
    return results;
  }

  private <T extends Measurement> T record(T m) {
    results = results.plus(m);
    return m;
  }

  private void context(String key, String value) {
    results = results.with(key, value);
  }

  Results run() throws Exception {
    context("load generator", shape.tool().name().toLowerCase(Locale.ROOT));
    context("connections", Integer.toString(settings.connections()));
    context("duration per load", settings.duration().toSeconds() + " s");
    context("gateway JVM", String.join(" ", settings.gatewayJvm()));
    if (!settings.gatewayEnv().isEmpty()) {
      context("gateway environment", settings.gatewayEnv().toString());
    }
    context("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    context("load average at start", LoadAverage.read());
    int library = env.libraryVersion();
    context(
        "couponflow library in Redis",
        "version " + library + " (this build's: " + CouponLibrary.version() + ")");
    if (library != CouponLibrary.version()) {
      progress.say(
          "Redis holds couponflow library version %d, not this build's %d: S0 and S1 measure"
              + " that one (a newer library is never replaced; give the bench a Redis of its own)",
          library, CouponLibrary.version());
    }

    if (settings.runs(Scenario.S0)) {
      if (RedisBenchmark.available()) {
        record(
            new S0Limit(env, settings.connections(), settings.duration(), progress)
                .run(S0_COUPON, S0_WARMUP_COUPON));
      } else {
        record(new Skipped("S0", "redis-benchmark FCALL cf_redeem", "redis-benchmark not found"));
      }
    }
    if (settings.runs(Scenario.S0_REF)) {
      Optional<String> missing = S0Reference.unavailable(settings.refScript());
      if (missing.isPresent()) {
        progress.say("S0-ref: n/a: %s", missing.get());
        record(
            new Skipped(
                "S0-ref", "redis-benchmark EVALSHA of the reference script", missing.get()));
      } else {
        record(
            new S0Reference(env, settings.connections(), settings.duration(), progress)
                .run(settings.refScript()));
      }
    }
    if (settings.runs(Scenario.S2)) {
      record(
          new S2Naive(env.jdbc(), settings.connections(), settings.duration(), progress)
              .run(S2_COUPON));
    }
    Optional<AnswerSample> answer = Optional.empty();
    if (runsGateway()) {
      answer = Optional.of(gatewayScenarios());
    }
    if (settings.runs(Scenario.H)) {
      record(
          new HBareNetty(shape, settings.gatewayJvm(), eventLoops(), settings.results(), progress)
              .run(answer.orElseGet(AnswerSample::template)));
    }
    if (settings.runs(Scenario.S1_LAUNCHER)) {
      record(
          new S1Launcher(
                  env,
                  settings.launcher(),
                  gatewayEnv(),
                  shape,
                  settings.results().resolve("gateway-launcher.log"),
                  progress)
              .run(S1_LAUNCHER_COUPON));
    }
    if (settings.runs(Scenario.FENCE)) {
      fence();
    }
    if (settings.runs(Scenario.S5)) {
      record(new S5Sink(env.jdbc(), progress).run());
    }
    context("load average at end", LoadAverage.read());
    return results;
  }

  private boolean runsGateway() {
    return settings.runs(Scenario.S1)
        || settings.runs(Scenario.S3)
        || settings.runs(Scenario.S4)
        || settings.runs(Scenario.S6);
  }

  /**
   * S1, S3, S4 and S6 on one gateway with the bench's JVM options.
   *
   * @return the body of one real redemption answer, for H
   */
  private AnswerSample gatewayScenarios() {
    Path log = settings.results().resolve("gateway.log");
    try (GatewayJvm jvm =
            GatewayJvm.start(
                GatewayJvm.Launch.jar(settings.gatewayJar(), settings.gatewayJvm()),
                gatewayEnv(),
                log);
        ClosedLoop load = new ClosedLoop(shape, jvm.apiPort())) {
      context("gateway log", log.toString());
      AnswerSample answer = AnswerSample.take(env, jvm, ANSWER_SAMPLE_COUPON);
      Optional<S1AcceptPath.Result> s1 = Optional.empty();
      if (settings.runs(Scenario.S1) || settings.runs(Scenario.S3) || settings.runs(Scenario.S6)) {
        Optional<Path> recording =
            settings.jfr()
                ? Optional.of(settings.results().resolve("gateway-s1.jfr"))
                : Optional.empty();
        s1 =
            Optional.of(
                record(
                    new S1AcceptPath("S1", env, jvm, load, S1_COUPON, progress)
                        .honest(recording, settings.runs(Scenario.S6))));
        recording.ifPresent(r -> context("S1 flight recording", r.toString()));
      }
      if (settings.runs(Scenario.S3)) {
        record(
            new S3Latency(env, jvm, load, progress)
                .run(S1_COUPON, s1.get().acceptedPerSecond() / 2));
      }
      if (settings.runs(Scenario.S4)) {
        record(new S4SoldOutStorm(env, load, progress).run(S4_COUPON));
      }
      if (settings.runs(Scenario.S6)) {
        record(
            new S6Memory(env, jvm, load, progress)
                .run(S1_COUPON, s1.get().heapAfterGcBytes(), S6_COUPON));
      }
      return answer;
    }
  }

  private void fence() {
    if (!RedisBenchmark.Tools.onPath(settings.redisServer())
        && !Files.isExecutable(Path.of(settings.redisServer()))) {
      record(
          new Skipped(
              "fence",
              "S1 and S0 with and without the fence",
              settings.redisServer()
                  + " not found: the fence is measured on a private Redis only"));
      return;
    }
    record(
        new FenceCost(
                env,
                settings.redisServer(),
                settings.redisCli(),
                Optional.of(GatewayJvm.Launch.jar(settings.gatewayJar(), settings.gatewayJvm())),
                settings.gatewayEnv(),
                shape,
                settings.results().resolve("gateway-fence.log"),
                progress)
            .run(FENCE_COUPONS));
  }

  private Map<String, String> gatewayEnv() {
    Map<String, String> all = new HashMap<>(env.gatewayEnv());
    all.putAll(settings.gatewayEnv());
    return all;
  }

  /** The gateway's API event loops: COUPON_HTTP_IO_THREADS, or its default, half the cores. */
  private int eventLoops() {
    String given = settings.gatewayEnv().get("COUPON_HTTP_IO_THREADS");
    if (given != null) {
      return Integer.parseInt(given.trim());
    }
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }
}
