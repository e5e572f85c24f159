package io.couponflow.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.couponflow.bench.load.RedisBenchmark;
import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.RawRedis;
import io.couponflow.testkit.TestSettings;
import java.io.PrintWriter;
import java.io.StringWriter;
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
 * for a second, and the invariant checks that must fail loudly on an oversold coupon.
 */
class BenchIT {
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

  private Bench bench(Bench.Scenario... scenarios) {
    Bench.Settings settings =
        new Bench.Settings(
            EnumSet.copyOf(List.of(scenarios)),
            Duration.ofSeconds(1),
            Duration.ZERO,
            8,
            Bench.LoadTool.JAVA,
            results.resolve("no-gateway.jar"),
            List.of(),
            Map.of(),
            false,
            results);
    return new Bench(settings, env, new PrintWriter(new StringWriter()));
  }

  @Test
  void run_naiveBaselineForOneSecond_reportsAcceptedPerSecondAfterItsInvariantCheck()
      throws Exception {
    Report report = bench(Bench.Scenario.S2).run();

    assertThat(report.rows()).extracting(Report.Row::scenario).containsExactly("S2");
    assertThat(report.rows().get(0).value()).matches("[1-9][0-9,]*/s");
    assertThat(report.rows().get(0).note()).endsWith(", 0 failed");
  }

  @Test
  void run_limitWithRedisBenchmark_reportsAcceptedPerSecondAndLeavesNoKeys() throws Exception {
    assumeThat(RedisBenchmark.available()).as("redis-benchmark on the PATH").isTrue();

    Report report = bench(Bench.Scenario.S0).run();

    assertThat(report.rows()).extracting(Report.Row::scenario).containsExactly("S0", "S0");
    assertThat(report.rows().get(0).value()).matches("[1-9][0-9,]*/s");
    assertThat(report.rows().get(1).value()).startsWith("redis ");
    assertThat(env.keysOf(Bench.S0_COUPON)).isEmpty();
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
