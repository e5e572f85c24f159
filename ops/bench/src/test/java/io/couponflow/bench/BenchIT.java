package io.couponflow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.couponflow.bench.load.LoadTool;
import io.couponflow.bench.load.RedisBenchmark;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.InvariantViolation;
import io.couponflow.bench.scenario.HBareNetty;
import io.couponflow.bench.scenario.Results;
import io.couponflow.bench.scenario.S0Limit;
import io.couponflow.bench.scenario.S0Reference;
import io.couponflow.bench.scenario.S2Naive;
import io.couponflow.bench.scenario.Skipped;
import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.RawRedis;
import io.couponflow.testkit.TestSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bench's own machinery against the real test servers: the scenarios that need no gateway, run
 * for a second, each producing its values; and the invariant checks that must fail loudly on an
 * oversold coupon. No figure is judged: a benchmark is not a test.
 */
class BenchIT {
  /**
   * A redeem script of the reference's contract (KEYS meta, stock, users, outbox; ARGV request,
   * user, order, time), written for this test: takes a unit and appends it to the outbox.
   */
  private static final String TEST_SCRIPT =
      """
      local left = redis.call('DECR', KEYS[2])
      if left < 0 then redis.call('INCR', KEYS[2]); return {'SOLD_OUT'} end
      redis.call('XADD', KEYS[4], '*', 'r', ARGV[1], 'u', ARGV[2])
      return {'OK'}
      """;

  @TempDir Path results;
  private BenchEnvironment env;

  @BeforeEach
  void setUp() {
    JdbcSettings jdbc = TestSettings.jdbc();
    env =
        BenchEnvironment.create(
            Env.of(
                Map.of(
                    "COUPON_REDIS_URI", TestSettings.redisUri(),
                    "COUPON_JDBC_URL", jdbc.url(),
                    "COUPON_JDBC_USER", jdbc.user(),
                    "COUPON_JDBC_PASSWORD", jdbc.password())));
  }

  @AfterEach
  void tearDown() {
    env.close();
  }

  private BenchRunner runner(Path refScript, Scenario... scenarios) {
    BenchSettings settings =
        new BenchSettings(
            EnumSet.copyOf(List.of(scenarios)),
            Duration.ofSeconds(1),
            Duration.ZERO,
            8,
            LoadTool.JAVA,
            results.resolve("no-gateway.jar"),
            results.resolve("no-launcher"),
            List.of("-Xmx64m", "-XX:+UseSerialGC"),
            Map.of(),
            false,
            refScript,
            TestSettings.redisServerBinary(),
            TestSettings.redisCliBinary(),
            results);
    return new BenchRunner(settings, env, new PrintWriter(new StringWriter()));
  }

  private BenchRunner runner(Scenario... scenarios) {
    return runner(results.resolve("no-script.lua"), scenarios);
  }

  @Test
  void run_naiveBaselineForOneSecond_reportsAcceptedPerSecondAfterItsInvariantCheck()
      throws Exception {
    Results measured = runner(Scenario.S2).run();

    assertThat(measured.get(S2Naive.Result.class))
        .get()
        .satisfies(
            r -> {
              assertThat(r.accepted()).isPositive();
              assertThat(r.failed()).isZero();
            });
    Report report = Report.of(measured);
    assertThat(report.rows()).extracting(Report.Row::scenario).containsExactly("S2");
    assertThat(report.rows().get(0).value()).matches("[1-9][0-9,]*/s");
    assertThat(report.rows().get(0).note()).endsWith(", 0 failed");
  }

  @Test
  void run_limitWithRedisBenchmark_reportsAcceptedPerSecondAndLeavesNoKeys() throws Exception {
    assumeThat(RedisBenchmark.available()).as("redis-benchmark on the PATH").isTrue();

    Results measured = runner(Scenario.S0).run();

    S0Limit.Result s0 = measured.get(S0Limit.Result.class).orElseThrow();
    assertThat(s0.accepted()).isPositive().isLessThanOrEqualTo(s0.calls());
    assertThat(s0.cpu().of("redis")).isPositive();
    Report report = Report.of(measured);
    assertThat(report.rows()).extracting(Report.Row::scenario).containsExactly("S0", "S0");
    assertThat(report.rows().get(0).value()).matches("[1-9][0-9,]*/s");
    assertThat(report.rows().get(1).value()).startsWith("redis ");
    assertThat(env.keysOf(BenchRunner.S0_COUPON)).isEmpty();
  }

  @Test
  void run_referenceScriptBesideTheLimit_reportsS0AsAFractionOfItAndLeavesNoKeys()
      throws Exception {
    assumeThat(RedisBenchmark.available()).as("redis-benchmark on the PATH").isTrue();
    Path script = Files.writeString(results.resolve("ref.lua"), TEST_SCRIPT);

    Results measured = runner(script, Scenario.S0, Scenario.S0_REF).run();

    S0Reference.Result ref = measured.get(S0Reference.Result.class).orElseThrow();
    assertThat(ref.accepted()).isPositive().isLessThanOrEqualTo(ref.calls());
    assertThat(ref.acceptedPerSecond()).isPositive();
    assertThat(Report.of(measured).rows())
        .filteredOn(r -> r.scenario().equals("S0-ref"))
        .first()
        .satisfies(r -> assertThat(r.ratio()).matches("S0 = [0-9]+\\.[0-9]{2} x S0-ref"));
    assertThat(RawRedis.scan(env.redis(), env.prefix() + ":*", null, Duration.ofSeconds(10)))
        .isEmpty();
  }

  @Test
  void run_referenceScriptMissing_reportsNotAvailableNamingThePath() throws Exception {
    assumeThat(RedisBenchmark.available()).as("redis-benchmark on the PATH").isTrue();

    Results measured = runner(results.resolve("absent.lua"), Scenario.S0_REF).run();

    Skipped skipped = measured.get(Skipped.class).orElseThrow();
    assertThat(skipped.scenario()).isEqualTo("S0-ref");
    assertThat(skipped.reason())
        .contains(results.resolve("absent.lua").toString())
        .contains("is missing")
        .contains("--ref-script");
    assertThat(Report.of(measured).rows().get(0).value()).isEqualTo("n/a");
  }

  @Test
  void run_bareNettyServer_answersEveryRequestAndReportsItsCpuPerRequest() throws Exception {
    Results measured = runner(Scenario.H).run();

    HBareNetty.Result h = measured.get(HBareNetty.Result.class).orElseThrow();
    assertThat(h.requests()).isPositive();
    assertThat(h.requestsPerSecond()).isPositive();
    assertThat(h.cpu().of("H")).isPositive();
    assertThat(h.bodySource()).contains("template");
    assertThat(h.bodyBytes()).isBetween(150, 300);
  }

  @Test
  void checkRedis_oversoldCoupon_throwsInvariantViolation() {
    env.createCoupon(5, "oversold", 10, 0);
    setCounters(5, -1, 11);

    assertThatThrownBy(() -> env.checkRedis("test", 5))
        .isInstanceOf(InvariantViolation.class)
        .hasMessageContaining("OVERSOLD")
        .hasMessageContaining("total 10, remaining -1, accepted 11");
  }

  @Test
  void awaitDrained_acceptedButNoRowInMySql_throwsInvariantViolation() {
    env.createCoupon(6, "row missing", 10, 0);
    setCounters(6, 9, 1);

    assertThatThrownBy(() -> env.awaitDrained("test", 6, Duration.ofSeconds(5)))
        .isInstanceOf(InvariantViolation.class)
        .hasMessageContaining("MySQL holds 0 ACCEPTED rows for 1 redemptions Redis accepted");
  }

  @Test
  void awaitDrained_consistentCoupon_returnsAtOnce() {
    env.createCoupon(7, "untouched", 10, 0);

    assertThat(env.awaitDrained("test", 7, Duration.ofSeconds(5)))
        .isLessThan(Duration.ofSeconds(5));
    assertThat(env.checkRedis("test", 7).stock()).isEqualTo(10);
  }

  private void setCounters(long couponId, long stock, long accepted) {
    RawRedis.commands(env.redis())
        .hset(
            CouponKeys.meta(env.prefix(), couponId),
            Map.of("stock", Long.toString(stock), "accepted", Long.toString(accepted)))
        .toCompletableFuture()
        .orTimeout(5, TimeUnit.SECONDS)
        .join();
  }
}
