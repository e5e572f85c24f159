package io.couponflow.gateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.CouponInspection;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The honest loss window, measured: what a 201 can still lose. The worst case for the default
 * durability is a power cut that takes Redis (appendfsync everysec: what it wrote in its last
 * second is not on disk) and the gateway (its queue in memory) at the same instant. A redemption
 * answered 201 is then lost only if Redis's disk did not hold it yet and the gateway's sink had not
 * stored it in MySQL yet: at most the sink's lag of redemptions. Each run kills both under load,
 * restarts Redis from what was on disk a second earlier and a new gateway, and counts the 201s
 * MySQL lacks; every one of them must be from that last second, and everything else must hold. With
 * COUPON_DURABILITY=mysql nothing answered 201 may be lost at all. {@code -Dcouponflow.lossRuns=N}
 * repeats each case (the numbers go to the log).
 */
class LossWindowIT {
  private static final Logger log = LoggerFactory.getLogger(LossWindowIT.class);
  private static final long COUPON = 9;
  private static final long STOCK = 100_000;
  private static final Duration LONG = Duration.ofSeconds(60);

  @Test
  void redisAndGatewayDieTogether_only201sOfTheLastSecondNotYetStoredAreLost() throws Exception {
    runs("redis", Map.of());
  }

  @Test
  void withMySqlDurability_redisAndGatewayDieTogether_no201IsLost() throws Exception {
    List<Integer> lost = runs("mysql", Map.of("COUPON_DURABILITY", "mysql"));
    assertThat(lost).containsOnly(0);
  }

  private List<Integer> runs(String durability, Map<String, String> env) throws Exception {
    int runs = Integer.getInteger("couponflow.lossRuns", 1);
    List<Integer> lost = new ArrayList<>();
    for (int run = 1; run <= runs; run++) {
      lost.add(run(durability + "-" + run, env));
    }
    log.info("Loss window, durability {}, over {} runs: {} lost", durability, runs, lost);
    return lost;
  }

  private int run(String run, Map<String, String> extraEnv) throws Exception {
    try (PrivateRedis redis = PrivateRedis.launch(true, "--appendfsync", "everysec");
        TestDatabase db = TestDatabase.create(LossWindowIT.class);
        RedisFixture fx = RedisFixture.create(redis.uri(), LossWindowIT.class)) {
      createCoupon(db);
      Map<String, String> env = new HashMap<>();
      env.put("COUPON_JDBC_URL", db.settings().url());
      env.put("COUPON_REDIS_URI", redis.uri());
      env.put("COUPON_REDIS_PREFIX", fx.prefix());
      env.put("COUPON_SWEEP_INTERVAL", "500ms");
      env.put("COUPON_SWEEP_MIN_AGE", "1s");
      env.putAll(extraEnv);
      Sale sale;
      long copiedAt;
      long crashedAt;
      try (GatewayProcess gateway = new GatewayProcess("loss-" + run, env)) {
        gateway.start();
        sale = new Sale(gateway.api("/"), COUPON);
        sale.start(16);
        sale.awaitAccepted(1_500, LONG);
        Path onDisk =
            redis.copyData(TestSettings.workDir().resolve("loss-" + run + "-" + redis.port()));
        copiedAt = System.nanoTime();
        Thread.sleep(1_000);
        crashedAt = System.nanoTime();
        gateway.kill();
        redis.kill();
        sale.stop();
        redis.replaceData(onDisk);
        redis.start();
      }
      try (GatewayProcess after = new GatewayProcess("loss-" + run + "-after", env)) {
        after.start();
        // A request repairs the fenced coupon; the sweeper stores what the outbox kept.
        Sale check = new Sale(after.api("/"), COUPON);
        int first = sale.requests(s -> s == 201).get(0);
        assertThat(check.sendUntilDecided("k-" + first, "u-" + first, "SO-" + first).status())
            .isEqualTo(201);
        org.awaitility.Awaitility.await()
            .atMost(LONG)
            .until(
                () ->
                    RedisFixture.join(fx.functions().inspect(COUPON)).orElseThrow().pending() == 0);

        Map<String, String> rows = acceptedRows(db);
        Set<String> lost = new HashSet<>();
        int inLastSecond = 0;
        Set<String> answered = new HashSet<>();
        for (Sale.Answer a : sale.answers().values()) {
          if (a.status() != 201) {
            continue;
          }
          answered.add(a.redemptionId());
          boolean late = a.atNanos() > copiedAt;
          if (late) {
            inLastSecond++;
          }
          if (!rows.containsKey(a.redemptionId())) {
            lost.add(a.redemptionId());
            assertThat(late)
                .as(a.redemptionId() + " was lost but answered before the last fsync point")
                .isTrue();
          }
        }
        Set<String> unexplained = new HashSet<>(rows.keySet());
        unexplained.removeAll(answered);
        long lostAnswers = sale.count(s -> s == 0);
        assertThat((long) unexplained.size())
            .as("rows without a 201")
            .isLessThanOrEqualTo(lostAnswers);
        CouponInspection state = RedisFixture.join(fx.functions().inspect(COUPON)).orElseThrow();
        assertThat(state.coupon().accepted()).isEqualTo(rows.size());
        assertThat(state.coupon().stock()).isEqualTo(STOCK - rows.size());
        String result =
            String.format(
                "run %s: %d answered 201, %d of them in the last %d ms before the crash, %d lost"
                    + " (not on Redis's disk, not yet in MySQL)",
                run,
                answered.size(),
                inLastSecond,
                Duration.ofNanos(crashedAt - copiedAt).toMillis(),
                lost.size());
        log.info(result);
        return lost.size();
      }
    }
  }

  private static void createCoupon(TestDatabase db) {
    Instant now = Instant.now();
    Coupon coupon =
        new Coupon(
            COUPON,
            "loss window",
            STOCK,
            1,
            0,
            100,
            now.minusSeconds(60),
            now.plusSeconds(3_600),
            CouponStatus.ACTIVE,
            false,
            Coupon.bucketsFor(STOCK),
            1);
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class).insert(coupon);
    }
  }

  private static Map<String, String> acceptedRows(TestDatabase db) throws Exception {
    Map<String, String> rows = new HashMap<>();
    try (Connection c = db.database().dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT redemption_id, idempotency_key FROM redemption WHERE status = 'ACCEPTED'")) {
      while (rs.next()) {
        rows.put(rs.getString(1), rs.getString(2));
      }
    }
    return rows;
  }
}
