package io.couponflow.preheat;

import static io.couponflow.preheat.JobRunner.insert;
import static io.couponflow.preheat.JobRunner.liveCoupon;
import static io.couponflow.preheat.JobRunner.restock;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.config.RedisSettings;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.HotSet;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedisStore;
import io.couponflow.model.Coupon;
import io.couponflow.testkit.PrivateMariaDb;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job when MySQL or Redis is gone: private servers, killed by the test. */
class PreheatFaultIT {
  @TempDir Path dir;

  @Test
  void mysqlDown_readsTheSnapshot_refreshesLiveCoupons_andCreatesNone() throws Exception {
    try (PrivateMariaDb mariadb = PrivateMariaDb.launch();
        TestDatabase db = TestDatabase.create(mariadb.jdbc("unused"), PreheatFaultIT.class);
        RedisFixture region = RedisFixture.create(PreheatFaultIT.class);
        RedisFixture other = RedisFixture.create(PreheatFaultIT.class)) {
      Coupon a = liveCoupon(1, 100);
      insert(db, a, liveCoupon(2, 50));
      Path regionSnapshot = dir.resolve("region.json.gz");
      Path latestSnapshot = dir.resolve("latest.json.gz");
      JobRunner regionJob =
          new JobRunner(db.settings(), TestSettings.redisUri(), region.prefix(), regionSnapshot);
      assertThat(regionJob.run().exitCode()).isZero();
      region.commands().unlink(CouponKeys.meta(region.prefix(), 2)).get();
      assertThat(
              region.functions().redeem(new RedeemRequest(1, "k1", "u1", "o1", 1000), a.buckets()))
          .succeedsWithin(5, TimeUnit.SECONDS)
          .isInstanceOf(RedeemOutcome.Accepted.class);
      restock(db, 1, 20);
      JobRunner otherJob =
          new JobRunner(db.settings(), TestSettings.redisUri(), other.prefix(), latestSnapshot);
      assertThat(otherJob.run().exitCode()).isZero();
      assertThat(latestSnapshot).exists();

      mariadb.kill();
      Path metrics = dir.resolve("preheat.prom");
      JobRunner.Outcome fallback =
          new JobRunner(db.settings(), TestSettings.redisUri(), region.prefix(), latestSnapshot)
              .run("--metrics-file", metrics.toString());
      JobRunner.Outcome noSnapshot =
          new JobRunner(
                  db.settings(),
                  TestSettings.redisUri(),
                  region.prefix(),
                  dir.resolve("missing.json.gz"))
              .run();

      assertThat(fallback.exitCode()).as(fallback.err()).isEqualTo(2);
      assertThat(fallback.summary())
          .startsWith(
              "preheat: loaded=0 already_live=0 updated=1 restocked=1 failed=1 source=snapshot")
          .contains("result=partial reason=\"MySQL unreachable (");
      LiveCoupon refreshed = region.functions().coupon(1).join().orElseThrow();
      assertThat(refreshed.definition().totalStock()).isEqualTo(120);
      assertThat(refreshed.stock()).isEqualTo(119);
      assertThat(refreshed.accepted()).isEqualTo(1);
      assertThat(region.functions().coupon(2).join()).isEmpty();
      assertThat(Files.readString(metrics))
          .contains("couponflow_preheat_snapshot_used 1")
          .contains("couponflow_preheat_exit_code 2");
      assertThat(noSnapshot.exitCode()).isEqualTo(1);
      assertThat(noSnapshot.summary())
          .startsWith("preheat: loaded=0 already_live=0 updated=0 restocked=0 failed=0 source=none")
          .contains("result=failed reason=\"no coupon source: ")
          .contains("there is no snapshot at ");
    }
  }

  @Test
  void redisDownAtStart_exits2_havingDoneNothing() {
    try (TestDatabase db = TestDatabase.create(PreheatFaultIT.class);
        PrivateRedis redis = PrivateRedis.launch()) {
      insert(db, liveCoupon(1, 10));
      JobRunner job =
          new JobRunner(db.settings(), redis.uri(), "preheat", dir.resolve("s.json.gz"));
      assertThat(job.run().exitCode()).isZero();
      redis.kill();

      JobRunner.Outcome outcome = job.run();

      assertThat(outcome.exitCode()).isEqualTo(2);
      assertThat(outcome.summary())
          .startsWith("preheat: loaded=0 already_live=0 updated=0 restocked=0 failed=0 source=none")
          .contains("result=partial reason=\"stopped: Redis at " + redis.uri() + " is unreachable");
    }
  }

  @Test
  void redisKilledMidRun_exits2_andReportsWhatWasLoaded() throws Exception {
    int total = 30_000;
    try (TestDatabase db = TestDatabase.create(PreheatFaultIT.class);
        PrivateRedis redis = PrivateRedis.launch()) {
      seed(db, total);
      JobRunner job =
          new JobRunner(db.settings(), redis.uri(), "preheat", dir.resolve("s.json.gz"))
              .with("COUPON_PREHEAT_BATCH", "200");
      CompletableFuture<JobRunner.Outcome> running =
          CompletableFuture.supplyAsync(() -> job.run("--all-active"));
      try (RedisStore watcher = RedisStore.connect(RedisSettings.of(redis.uri(), "preheat"))) {
        HotSet hot = new HotSet(watcher);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (hot.size().get() < 1000 && System.nanoTime() < deadline) {
          Thread.sleep(5);
        }
      }
      redis.kill();

      JobRunner.Outcome outcome = running.get(60, TimeUnit.SECONDS);

      assertThat(outcome.exitCode()).isEqualTo(2);
      assertThat(outcome.summary())
          .contains("result=partial reason=\"stopped: Redis is unreachable");
      long loaded = Long.parseLong(outcome.summary().replaceAll(".* loaded=(\\d+) .*", "$1"));
      assertThat(loaded).isBetween(1000L, total - 1L);
      assertThat(Files.exists(dir.resolve("s.json.gz"))).isFalse();
    }
  }

  /** Coupons 1..n, active now, in multi-row inserts. */
  static void seed(TestDatabase db, int n) {
    StringBuilder sql = new StringBuilder();
    for (int id = 1; id <= n; id++) {
      if (sql.length() == 0) {
        sql.append(
            "INSERT INTO coupon (coupon_id, name, total_stock, per_user_limit, threshold_cents,"
                + " discount_cents, starts_at, ends_at, status, hot, buckets, version) VALUES ");
      } else {
        sql.append(',');
      }
      sql.append('(')
          .append(id)
          .append(",'c',100,1,0,10,UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE,")
          .append("UTC_TIMESTAMP(3) + INTERVAL 1 DAY,'ACTIVE',FALSE,2,1)");
      if (id % 5000 == 0 || id == n) {
        db.execute(sql.toString());
        sql.setLength(0);
      }
    }
  }
}
