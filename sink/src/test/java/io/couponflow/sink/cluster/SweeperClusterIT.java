package io.couponflow.sink.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.config.Env;
import io.couponflow.config.RedisSettings;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedisStore;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.lua.cluster.ClusterCoupons;
import io.couponflow.model.Coupon;
import io.couponflow.sink.Sink;
import io.couponflow.sink.SinkSettings;
import io.couponflow.sql.Database;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The outbox sweeper on a private 3-master cluster: outboxes on every master are found and stored,
 * by two sweepers (two gateway processes) running at once, each redemption once.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class SweeperClusterIT {
  private static PrivateRedisCluster cluster;
  private static RedisFixture redis;
  private static TestDatabase db;

  @BeforeAll
  static void start() {
    cluster = PrivateRedisCluster.launch(3);
    redis = RedisFixture.create(cluster.uri(), SweeperClusterIT.class);
    db = TestDatabase.create(SweeperClusterIT.class);
  }

  @AfterAll
  static void stop() {
    if (db != null) {
      db.close();
    }
    if (redis != null) {
      redis.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void twoSweepers_storeTheOutboxesOfEveryMaster_eachRedemptionOnce() throws Exception {
    CouponFunctions functions = redis.functions();
    Map<PrivateRedis, List<Long>> perMaster =
        ClusterCoupons.perMaster(cluster, redis.prefix(), 1, 2);
    Map<String, String> outboxIds = new HashMap<>();
    int reversals = 0;
    for (List<Long> ids : perMaster.values()) {
      for (long id : ids) {
        Coupon c = ClusterCoupons.coupon(id, 1000, 1, 0, 25);
        functions.load(c, 0, 0, Duration.ZERO).join();
        for (int i = 0; i < 50; i++) {
          RedeemRequest request = new RedeemRequest(id, "k-" + i, "u-" + i, "o-" + i, 100);
          var accepted = (RedeemOutcome.Accepted) functions.redeem(request, c.buckets()).join();
          outboxIds.put(accepted.redemption().redemptionId().toString(), accepted.outboxId());
          if (i < 5) {
            assertThat(
                    functions
                        .reverse(accepted.redemption().redemptionId(), c.buckets(), "cancelled")
                        .join())
                .isInstanceOf(ReverseOutcome.Reversed.class);
            reversals++;
          }
        }
      }
    }
    assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(10)))
        .containsExactlyInAnyOrderElementsOf(
            perMaster.values().stream().flatMap(List::stream).toList());

    SinkSettings settings =
        SinkSettings.from(
            Env.of(
                Map.of(
                    "COUPON_QUEUE_CAPACITY", "1024",
                    "COUPON_SINK_BATCH_SIZE", "20",
                    "COUPON_SINK_LINGER", "1ms",
                    "COUPON_SWEEP_INTERVAL", "100ms",
                    "COUPON_SWEEP_MIN_AGE", "0ms")));
    try (RedisStore otherRedis =
            RedisStore.connect(RedisSettings.of(cluster.uri(), redis.prefix()));
        Database otherDb = Database.open(db.settings(), "second-gateway");
        Sink first = new Sink(settings, db.database(), functions, new SimpleMeterRegistry());
        Sink second =
            new Sink(
                settings,
                otherDb,
                new CouponFunctions(otherRedis, RedisFixture.RETENTION),
                new SimpleMeterRegistry())) {
      first.start();
      second.start();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(5))).isEmpty();
                assertThat(db.queryLong("SELECT COUNT(*) FROM redemption WHERE status='REVERSED'"))
                    .isEqualTo(30);
              });
    }

    assertThat(reversals).isEqualTo(30);
    for (PrivateRedis master : cluster.masters()) {
      assertThat(cluster.cli(master, "--scan", "--pattern", redis.prefix() + ":{*}:x").trim())
          .isEmpty();
    }
    Map<String, String> stored = new HashMap<>();
    try (Connection c = db.database().dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT redemption_id, outbox_id FROM redemption")) {
      while (rs.next()) {
        assertThat(stored.put(rs.getString(1), rs.getString(2))).isNull();
      }
    }
    assertThat(stored).isEqualTo(outboxIds);
    assertThat(db.queryLong("SELECT COUNT(DISTINCT coupon_id) FROM redemption")).isEqualTo(6);
    assertThat(db.queryLong("SELECT COUNT(*) FROM dead_letter")).isZero();
  }
}
