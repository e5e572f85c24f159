package io.couponflow.bench;

import io.couponflow.bench.Report.Row;
import io.couponflow.bench.load.HttpLoad;
import io.couponflow.bench.load.LoadResult;
import io.couponflow.bench.load.RedemptionRequests;
import io.couponflow.bench.load.RedisBenchmark;
import io.couponflow.bench.load.Wrk;
import io.couponflow.bench.naive.NaiveRedemptions;
import io.couponflow.bench.sink.SinkBench;
import io.couponflow.config.JdbcSettings;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.sql.Database;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The whole benchmark, S0 to S6, in one run against the gateway's jar, Redis and MySQL, in a corner
 * of their own ({@link BenchEnvironment}). After each scenario the invariants are checked; a
 * violation ends the run with an {@link InvariantViolation}.
 *
 * <p>Thread-safety: one run per instance, on the calling thread (plus its own helpers).
 */
final class Bench {
  /** The scenarios, in the order they run. */
  enum Scenario {
    S0,
    S2,
    S1,
    S3,
    S4,
    S5,
    S6
  }

  /** How S1 and S4 make their load. */
  enum LoadTool {
    AUTO,
    WRK,
    JAVA
  }

  /**
   * What to run and how.
   *
   * @param duration each measured load's length
   * @param warmup the gateway's warm-up load before S1
   * @param connections connections (threads for S2) in every closed-loop load
   * @param gatewayJvm options of the gateway's JVM
   */
  record Settings(
      Set<Scenario> scenarios,
      Duration duration,
      Duration warmup,
      int connections,
      LoadTool load,
      Path gatewayJar,
      List<String> gatewayJvm,
      java.util.Map<String, String> gatewayEnv,
      boolean jfr,
      Path results) {}

  static final long S0_COUPON = 1;

  /**
   * redis-benchmark may draw the same random numbers in two runs started within a second: the
   * warm-up uses a coupon of its own, so the measured run never replays its keys.
   */
  static final long S0_WARMUP_COUPON = 3;

  static final long S2_COUPON = 2;
  static final long S1_COUPON = 10;
  static final long S4_COUPON = 20;
  static final long S6_COUPON = 30;
  static final long S1_STOCK = 50_000_000;
  static final long S4_STOCK = 1_000;
  static final long S6_STOCK = 65_536;
  static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(90);

  private final Settings settings;
  private final BenchEnvironment env;
  private final PrintWriter out;
  private final Report report = new Report();
  private double s0 = Double.NaN;
  private double naiveS2 = Double.NaN;
  private double s1 = Double.NaN;
  private double maxLagMillis = Double.NaN;
  private double heapFirst = Double.NaN;

  Bench(Settings settings, BenchEnvironment env, PrintWriter out) {
    this.settings = settings;
    this.env = env;
    this.out = out;
  }

  Report report() {
    return report;
  }

  private boolean runs(Scenario s) {
    return settings.scenarios().contains(s);
  }

  private void say(String format, Object... args) {
    out.printf(Locale.ROOT, "bench: " + format + "%n", args);
    out.flush();
  }

  /** Runs the selected scenarios; the report holds what was measured, even after a failure. */
  Report run() throws Exception {
    report.context("load generator", loadTool().name().toLowerCase(Locale.ROOT));
    report.context("connections", Integer.toString(settings.connections()));
    report.context("duration per load", settings.duration().toSeconds() + " s");
    report.context("gateway JVM", String.join(" ", settings.gatewayJvm()));
    if (!settings.gatewayEnv().isEmpty()) {
      report.context("gateway environment", settings.gatewayEnv().toString());
    }
    report.context("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    report.context("load average at start", LoadAverage.read());
    if (runs(Scenario.S0)) {
      s0();
    }
    if (runs(Scenario.S2)) {
      s2();
    }
    boolean gateway =
        EnumSet.of(Scenario.S1, Scenario.S3, Scenario.S4, Scenario.S6).stream()
            .anyMatch(this::runs);
    if (gateway) {
      Path log = settings.results().resolve("gateway.log");
      try (GatewayJvm jvm =
              GatewayJvm.start(settings.gatewayJar(), settings.gatewayJvm(), gatewayEnv(), log);
          HttpLoad http = new HttpLoad("127.0.0.1", jvm.apiPort())) {
        report.context("gateway log", log.toString());
        if (runs(Scenario.S1) || runs(Scenario.S3) || runs(Scenario.S6)) {
          s1(jvm, http);
        }
        if (runs(Scenario.S3)) {
          s3(jvm, http);
        }
        if (runs(Scenario.S4)) {
          s4(jvm, http);
        }
        if (runs(Scenario.S6)) {
          s6(jvm, http);
        }
      }
    }
    if (runs(Scenario.S5)) {
      s5();
    }
    report.context("load average at end", LoadAverage.read());
    return report;
  }

  private java.util.Map<String, String> gatewayEnv() {
    java.util.Map<String, String> all = new java.util.HashMap<>(env.gatewayEnv());
    all.putAll(settings.gatewayEnv());
    return all;
  }

  private LoadTool loadTool() {
    if (settings.load() == LoadTool.AUTO) {
      return Wrk.available() ? LoadTool.WRK : LoadTool.JAVA;
    }
    return settings.load();
  }

  // S0: the limit, redis-benchmark calling cf_redeem directly.
  private void s0() {
    if (!RedisBenchmark.available()) {
      report.add(
          new Row(
              "S0",
              "redis-benchmark FCALL cf_redeem",
              "n/a",
              "",
              "",
              null,
              "redis-benchmark not found"));
      return;
    }
    say("S0: redis-benchmark, %d connections, FCALL cf_redeem", settings.connections());
    var uri = env.redisSettings().uris().get(0);
    env.createCoupon(S0_WARMUP_COUPON, "bench S0 warm-up", 1_000_000_000_000L, 1);
    RedisBenchmark.Result warm =
        RedisBenchmark.redeem(
            uri, env.singleBucketKeys(S0_WARMUP_COUPON), settings.connections(), 20_000);
    env.checkRedis("S0 warm-up", S0_WARMUP_COUPON);
    env.deleteCoupon(S0_WARMUP_COUPON);
    env.createCoupon(S0_COUPON, "bench S0", 1_000_000_000_000L, 1);
    var keys = env.singleBucketKeys(S0_COUPON);
    long before = env.checkRedis("S0", S0_COUPON).accepted();
    long requests =
        Math.max(
            20_000,
            Math.min(5_000_000, (long) (warm.requestsPerSecond() * seconds(settings.duration()))));
    CpuMeter cpu =
        new CpuMeter().watch("redis", env.redisPid()).watch("load", ProcessHandle.current().pid());
    var cpuBefore = cpu.sample();
    RedisBenchmark.Result r = RedisBenchmark.redeem(uri, keys, settings.connections(), requests);
    var cpuAfter = cpu.sample();
    LiveCoupon after = env.checkRedis("S0", S0_COUPON);
    long accepted = after.accepted() - before;
    long outbox = env.outboxLength(S0_COUPON);
    if (outbox != after.accepted()) {
      throw new InvariantViolation(
          "S0: coupon "
              + S0_COUPON
              + " accepted "
              + after.accepted()
              + " but its outbox holds "
              + outbox);
    }
    s0 = r.requestsPerSecond() * accepted / r.requests();
    report.add(
        new Row(
            "S0",
            "limit: redis-benchmark FCALL cf_redeem, accepted/s",
            Report.perSecond(s0),
            "reference",
            "",
            null,
            String.format(
                Locale.ROOT,
                "%,d calls, %,d accepted, p50 %.2f ms",
                r.requests(),
                accepted,
                r.p50Millis())));
    report.add(
        new Row(
            "S0",
            "CPU per accepted redemption (us): redis-server, redis-benchmark",
            CpuMeter.perUnit(cpuBefore, cpuAfter, accepted),
            "",
            "",
            null,
            "from /proc/<pid>/stat"));
    say("S0: %s accepted (%,d of %,d calls)", Report.perSecond(s0), accepted, r.requests());
    env.deleteCoupon(S0_COUPON);
  }

  // S2: the naive baseline in MySQL.
  private void s2() throws SQLException, InterruptedException {
    say("S2: naive SELECT ... FOR UPDATE in MySQL, %d threads", settings.connections());
    JdbcSettings j = env.jdbc();
    JdbcSettings pool =
        new JdbcSettings(
            j.url(), j.user(), j.password(), settings.connections() + 2, Duration.ofSeconds(30));
    try (Database naiveDb = Database.open(pool, "couponflow-bench-naive")) {
      NaiveRedemptions naive = new NaiveRedemptions(naiveDb.dataSource());
      naive.setUp(S2_COUPON, 1_000_000_000_000L);
      naive.run(S2_COUPON, "w", settings.connections(), Duration.ofSeconds(1));
      NaiveRedemptions.Result r =
          naive.run(S2_COUPON, "m", settings.connections(), settings.duration());
      long[] state = naive.remainingAndRows(S2_COUPON);
      if (state[0] < 0 || state[0] + state[2] != state[1]) {
        throw new InvariantViolation(
            String.format(
                Locale.ROOT,
                "S2: naive coupon OVERSOLD or inconsistent: remaining %d + rows %d != total %d",
                state[0],
                state[2],
                state[1]));
      }
      double s2 = r.acceptedPerSecond();
      report.add(
          new Row(
              "S2",
              "naive baseline: MySQL row lock per redemption, accepted/s",
              Report.perSecond(s2),
              "reference",
              "",
              null,
              String.format(Locale.ROOT, "%,d accepted, %,d failed", r.accepted(), r.failed())));
      say("S2: %s", Report.perSecond(s2));
      naiveS2 = s2;
    }
  }

  // S1: the accept path through the gateway; S5's outbox lag is sampled meanwhile.
  private void s1(GatewayJvm jvm, HttpLoad http) {
    env.createCoupon(S1_COUPON, "bench S1", S1_STOCK, 0);
    say("S1: warm-up %d s", settings.warmup().toSeconds());
    closedLoop(http, jvm, new RedemptionRequests(S1_COUPON, "w", "127.0.0.1"), settings.warmup());
    env.awaitDrained("S1 warm-up", S1_COUPON, DRAIN_TIMEOUT);
    say(
        "S1: %d connections for %d s (%s)",
        settings.connections(), settings.duration().toSeconds(), loadTool());
    long before = env.checkRedis("S1", S1_COUPON).accepted();
    CpuMeter cpu =
        new CpuMeter()
            .watch("gateway", jvm.pid())
            .watch("redis", env.redisPid())
            .watch("mysql", env.mysqlPid())
            .watch("load", ProcessHandle.current().pid());
    if (settings.jfr()) {
      jvm.startRecording();
    }
    LagSampler lag = new LagSampler(env, S1_COUPON);
    double batchesBefore = jvm.metric("couponflow_sink_batch_size_count");
    double rowsBefore = jvm.metric("couponflow_sink_batch_size_sum");
    var cpuBefore = cpu.sample();
    Throughput t;
    try {
      t =
          closedLoop(
              http, jvm, new RedemptionRequests(S1_COUPON, "a", "127.0.0.1"), settings.duration());
    } finally {
      lag.stop();
    }
    var cpuAfter = cpu.sample();
    double batches = jvm.metric("couponflow_sink_batch_size_count") - batchesBefore;
    double rows = jvm.metric("couponflow_sink_batch_size_sum") - rowsBefore;
    if (settings.jfr()) {
      Path recording = settings.results().resolve("gateway-s1.jfr");
      jvm.stopRecording(recording);
      report.context("S1 flight recording", recording.toString());
    }
    long accepted = checkAccepted("S1", S1_COUPON, before, t);
    s1 = accepted / seconds(t.elapsed());
    maxLagMillis = lag.maxMillis();
    boolean haveS0 = !Double.isNaN(s0);
    report.add(
        new Row(
            "S1",
            "accept path: HTTP through the gateway, accepted/s",
            Report.perSecond(s1),
            haveS0 ? Report.times(s1 / s0, "S0") : "",
            ">= 0.8 x S0",
            haveS0 ? s1 / s0 >= 0.8 : null,
            t.note()));
    report.add(
        new Row(
            "S1",
            "CPU per accepted redemption (us): gateway, redis-server, MySQL, load generator",
            CpuMeter.perUnit(cpuBefore, cpuAfter, accepted),
            "",
            "",
            null,
            String.format(
                Locale.ROOT,
                "from /proc/<pid>/stat; the sink's MySQL writes included: %,.0f batches of %.0f"
                    + " rows on average",
                batches,
                rows / batches)));
    if (!Double.isNaN(naiveS2)) {
      report.add(
          new Row(
              "S1/S2",
              "accept path against the naive baseline",
              Report.perSecond(s1),
              Report.times(s1 / naiveS2, "S2"),
              ">= 10 x S2",
              s1 / naiveS2 >= 10,
              ""));
    }
    say("S1: %s accepted; outbox lag at most %.0f ms", Report.perSecond(s1), maxLagMillis);
    env.awaitDrained("S1", S1_COUPON, DRAIN_TIMEOUT);
    heapFirst = jvm.heapAfterGc().orElse(Double.NaN);
  }

  // S3: latency at half of S1's peak, open loop.
  private void s3(GatewayJvm jvm, HttpLoad http) {
    double rate = s1 / 2;
    say("S3: open loop at %,.0f/s for %d s", rate, settings.duration().toSeconds());
    long warm = env.checkRedis("S3", S1_COUPON).accepted();
    Throughput warmUp =
        Throughput.of(
            http.openLoop(
                new RedemptionRequests(S1_COUPON, "lw", "127.0.0.1"),
                settings.connections(),
                rate,
                Duration.ofSeconds(3)));
    checkAccepted("S3 warm-up", S1_COUPON, warm, warmUp);
    long before = env.checkRedis("S3", S1_COUPON).accepted();
    double gcCount = jvm.metric("jvm_gc_pause_seconds_count");
    double gcSum = jvm.metric("jvm_gc_pause_seconds_sum");
    long since = System.currentTimeMillis() / 1000;
    LoadResult r =
        http.openLoop(
            new RedemptionRequests(S1_COUPON, "l", "127.0.0.1"),
            settings.connections(),
            rate,
            settings.duration());
    long[] slow = env.slowCommandsSince(since);
    double pauses = jvm.metric("jvm_gc_pause_seconds_count") - gcCount;
    double pauseMillis = (jvm.metric("jvm_gc_pause_seconds_sum") - gcSum) * 1000;
    Throughput t = Throughput.of(r);
    checkAccepted("S3", S1_COUPON, before, t);
    double p50 = r.percentileMillis(50);
    double p99 = r.percentileMillis(99);
    double p999 = r.percentileMillis(99.9);
    report.add(
        new Row(
            "S3",
            "latency at 50% of S1 (open loop, from intended send time): p50 / p99 / p99.9",
            String.format(Locale.ROOT, "%.2f / %.2f / %.2f ms", p50, p99, p999),
            String.format(Locale.ROOT, "at %,.0f/s", rate),
            "p99 <= 5 ms",
            p99 <= 5.0,
            String.format(
                Locale.ROOT,
                "%,d requests, max %.1f ms; meanwhile: gateway GC %.0f pauses, %.0f ms in all;"
                    + " Redis SLOWLOG %d commands over 10 ms (longest %.1f ms); the generator's timer"
                    + " late by up to %.1f ms",
                r.answered(),
                r.latency().getMaxValue() / 1000.0,
                pauses,
                pauseMillis,
                slow[0],
                slow[1] / 1000.0,
                r.generatorLag().getMaxValue() / 1000.0)));
    say("S3: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms", p50, p99, p999);
    env.awaitDrained("S3", S1_COUPON, DRAIN_TIMEOUT);
  }

  // S4: a sold-out storm.
  private void s4(GatewayJvm jvm, HttpLoad http) {
    env.createCoupon(S4_COUPON, "bench S4", S4_STOCK, 0);
    say(
        "S4: selling out %,d units, then a storm of %d s",
        S4_STOCK, settings.duration().toSeconds());
    Throughput sellOut =
        closedLoop(
            http, jvm, new RedemptionRequests(S4_COUPON, "s", "127.0.0.1"), Duration.ofSeconds(2));
    checkAccepted("S4 sell-out", S4_COUPON, 0, sellOut);
    LiveCoupon sold = env.checkRedis("S4", S4_COUPON);
    if (sold.stock() != 0) {
      throw new IllegalStateException(
          "S4: the coupon did not sell out in 2 s (" + sold.stock() + " left)");
    }
    Throughput storm =
        closedLoop(
            http, jvm, new RedemptionRequests(S4_COUPON, "x", "127.0.0.1"), settings.duration());
    if (storm.created() != 0) {
      throw new InvariantViolation(
          "S4: " + storm.created() + " redemptions accepted after sell-out");
    }
    checkAccepted("S4", S4_COUPON, S4_STOCK, storm);
    double rejections = storm.sold() / seconds(storm.elapsed());
    boolean haveS1 = !Double.isNaN(s1);
    report.add(
        new Row(
            "S4",
            "sold-out storm: SOLD_OUT answers/s",
            Report.perSecond(rejections),
            haveS1 ? Report.times(rejections / s1, "S1") : "",
            ">= 2 x S1",
            haveS1 ? rejections / s1 >= 2 : null,
            storm.note()));
    say("S4: %s rejections", Report.perSecond(rejections));
    env.awaitDrained("S4", S4_COUPON, DRAIN_TIMEOUT);
  }

  // S6: memory. Redis bytes per redemption of a coupon used up; gateway heap, flat across runs.
  private void s6(GatewayJvm jvm, HttpLoad http) {
    say("S6: S1 again, %d s", settings.duration().toSeconds());
    long before = env.checkRedis("S6", S1_COUPON).accepted();
    Throughput again =
        closedLoop(
            http, jvm, new RedemptionRequests(S1_COUPON, "b", "127.0.0.1"), settings.duration());
    long accepted = checkAccepted("S6", S1_COUPON, before, again);
    env.awaitDrained("S6", S1_COUPON, DRAIN_TIMEOUT);
    double heapSecond = jvm.heapAfterGc().orElse(Double.NaN);

    say("S6: using up a coupon of %,d units", S6_STOCK);
    long usedBefore = env.usedMemory();
    env.createCoupon(S6_COUPON, "bench S6", S6_STOCK, 0);
    long baseline = env.memoryUsage(S6_COUPON);
    for (int i = 0; i < 30 && env.checkRedis("S6", S6_COUPON).stock() > 0; i++) {
      long filled = env.checkRedis("S6", S6_COUPON).accepted();
      Throughput fill =
          closedLoop(
              http,
              jvm,
              new RedemptionRequests(S6_COUPON, "f" + i, "127.0.0.1"),
              Duration.ofSeconds(2));
      checkAccepted("S6 fill", S6_COUPON, filled, fill);
    }
    LiveCoupon full = env.checkRedis("S6", S6_COUPON);
    if (full.stock() != 0) {
      throw new IllegalStateException("S6: the coupon did not sell out");
    }
    env.awaitDrained("S6", S6_COUPON, DRAIN_TIMEOUT);
    long bytes = env.memoryUsage(S6_COUPON) - baseline;
    long usedDelta = env.usedMemory() - usedBefore;
    double perRedemption = (double) bytes / S6_STOCK;
    report.add(
        new Row(
            "S6",
            "Redis bytes retained per accepted redemption (outbox drained)",
            String.format(Locale.ROOT, "%.1f B", perRedemption),
            "",
            "<= 200 B",
            perRedemption <= 200,
            String.format(
                Locale.ROOT,
                "MEMORY USAGE of the coupon's keys, %,d redemptions; INFO used_memory moved %.1f B"
                    + " per redemption (whole server, other clients included)",
                S6_STOCK,
                (double) usedDelta / S6_STOCK)));
    boolean flat =
        !Double.isNaN(heapFirst)
            && !Double.isNaN(heapSecond)
            && heapSecond <= heapFirst * 1.10 + 4 * 1024 * 1024;
    report.add(
        new Row(
            "S6",
            "gateway heap after a full GC: after S1, after S1 again",
            String.format(Locale.ROOT, "%.1f MB, %.1f MB", heapFirst / 1e6, heapSecond / 1e6),
            "",
            "flat (second <= first + 10% + 4 MB)",
            Double.isNaN(heapFirst) || Double.isNaN(heapSecond) ? null : flat,
            String.format(
                Locale.ROOT,
                "S1 again: %s accepted (%,d)",
                Report.perSecond(accepted / seconds(again.elapsed())),
                accepted)));
    say(
        "S6: %.1f B per redemption; heap %.1f MB then %.1f MB",
        perRedemption, heapFirst / 1e6, heapSecond / 1e6);
  }

  // S5: the sink, batch against single-row; the outbox lag sampled during S1.
  private void s5() {
    say("S5: sink, batched against single-row inserts");
    SinkBench.Comparison c = SinkBench.compare(env.jdbc(), 20_000, 2_000, 500);
    report.add(
        new Row(
            "S5",
            "sink: batched rows/s against single-row autocommit",
            Report.perSecond(c.best().rowsPerSecond()),
            Report.times(c.speedup(), "single-row"),
            ">= 10 x single-row",
            c.speedup() >= 10,
            String.format(
                Locale.ROOT,
                "%s; single-row %s",
                c.best().method(),
                Report.perSecond(c.single().rowsPerSecond()))));
    if (!Double.isNaN(maxLagMillis)) {
      report.add(
          new Row(
              "S5",
              "outbox lag at S1's peak: oldest pending entry, max of samples every 50 ms",
              String.format(Locale.ROOT, "%.0f ms", maxLagMillis),
              "",
              "< 1000 ms",
              maxLagMillis < 1000,
              ""));
    }
  }

  /** A closed-loop load through wrk or the Java generator. */
  private Throughput closedLoop(
      HttpLoad http, GatewayJvm jvm, RedemptionRequests requests, Duration duration) {
    if (loadTool() == LoadTool.WRK) {
      return Throughput.of(
          Wrk.run(
              "127.0.0.1",
              jvm.apiPort(),
              requests,
              settings.connections(),
              duration,
              settings.results()));
    }
    return Throughput.of(http.closedLoop(requests, settings.connections(), duration));
  }

  /**
   * Checks that Redis accepted exactly the 201s the load saw (or, for requests whose answer was
   * lost, at most that many more) and that no answer was a 5xx.
   *
   * @return redemptions Redis accepted during the load
   */
  private long checkAccepted(String scenario, long couponId, long acceptedBefore, Throughput t) {
    long accepted = settled(scenario, couponId) - acceptedBefore;
    if (accepted < t.created() || accepted > t.created() + t.unknown()) {
      throw new InvariantViolation(
          String.format(
              Locale.ROOT,
              "%s: Redis accepted %,d redemptions of coupon %d, the clients saw %,d answered 201"
                  + " (%,d answers unknown)",
              scenario,
              accepted,
              couponId,
              t.created(),
              t.unknown()));
    }
    if (t.serverErrors() > 0) {
      throw new IllegalStateException(
          scenario + ": " + t.serverErrors() + " answers were 5xx; see the gateway log");
    }
    return accepted;
  }

  /**
   * The coupon's accepted count once it stops moving: requests that were in flight when the load
   * ended (wrk drops their connections) are still decided by Redis a moment later.
   */
  private long settled(String scenario, long couponId) {
    long last = env.checkRedis(scenario, couponId).accepted();
    for (int i = 0; i < 50; i++) {
      Sleep.millis(100);
      long now = env.checkRedis(scenario, couponId).accepted();
      if (now == last) {
        return now;
      }
      last = now;
    }
    return last;
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
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

  /** A closed-loop load's outcome, whichever tool made it. */
  record Throughput(
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

    String note() {
      return String.format(
          Locale.ROOT,
          "%,d answers in %.1f s, %,d of them 201",
          answered,
          seconds(elapsed),
          created);
    }
  }

  static List<String> split(String options) {
    List<String> list = new ArrayList<>();
    for (String s : options.trim().split("\\s+")) {
      if (!s.isEmpty()) {
        list.add(s);
      }
    }
    return list;
  }

  /** The machine's load average, for the record. */
  static final class LoadAverage {
    private LoadAverage() {}

    static String read() {
      try {
        String[] f = java.nio.file.Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
        return f[0] + " " + f[1] + " " + f[2];
      } catch (java.io.IOException | RuntimeException e) {
        return String.format(
            Locale.ROOT,
            "%.2f",
            java.lang.management.ManagementFactory.getOperatingSystemMXBean()
                .getSystemLoadAverage());
      }
    }
  }
}
