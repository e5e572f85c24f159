package io.couponflow.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.couponflow.bench.load.LoadTool;
import io.couponflow.bench.load.RedisBenchmark;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.testkit.TestSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fence scenario's Redis side on a private redis-server: the fenceless copy really accepts a
 * fenced coupon (the scenario checks it and fails otherwise), S0 runs with and without it, and the
 * real library is back at the end.
 */
class FenceCostIT {
  @TempDir Path results;

  @Test
  void run_withoutGateway_measuresS0BothWaysAndPutsTheRealLibraryBack() {
    assumeThat(RedisBenchmark.available()).as("redis-benchmark on the PATH").isTrue();
    JdbcSettings jdbc = TestSettings.jdbc();
    try (BenchEnvironment env =
        BenchEnvironment.create(
            Env.of(
                Map.of(
                    "COUPON_REDIS_URI", TestSettings.redisUri(),
                    "COUPON_JDBC_URL", jdbc.url(),
                    "COUPON_JDBC_USER", jdbc.user(),
                    "COUPON_JDBC_PASSWORD", jdbc.password())))) {
      FenceCost fence =
          new FenceCost(
              env,
              TestSettings.redisServerBinary(),
              TestSettings.redisCliBinary(),
              Optional.empty(),
              Map.of(),
              new LoadShape(8, Duration.ofSeconds(1), Duration.ZERO, LoadTool.JAVA, results),
              results.resolve("gateway.log"),
              (format, args) -> {});

      FenceCost.Result r = fence.run(new FenceCost.Coupons(40, 41, 42, 43, 44, 49));

      assertThat(r.s0With().accepted()).isPositive();
      assertThat(r.s0Without().accepted()).isPositive();
      assertThat(r.s1()).isEmpty();
      assertThat(r.fencelessVersion())
          .isEqualTo(CouponLibrary.version() + FencelessLibrary.VERSION_BUMP);
      assertThat(r.restoredVersion()).isEqualTo(CouponLibrary.version());
      assertThat(env.libraryVersion())
          .as("the bench's own Redis keeps its library")
          .isNotEqualTo(r.fencelessVersion());
    }
  }
}
