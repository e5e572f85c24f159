package io.couponflow.ops.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.cluster.ClusterCoupons;
import io.couponflow.ops.OpsCli;
import io.couponflow.ops.OpsCli.Result;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code ops/coupons reconcile} and {@code outbox} against a private 3-master Redis Cluster: they
 * find what is on every master. One cluster for the class; each test has its own database and key
 * prefix.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class ReconcileClusterIT {
  private static PrivateRedisCluster cluster;

  private TestDatabase db;
  private RedisFixture redis;
  private CouponFunctions functions;
  private OpsCli cli;

  @BeforeAll
  static void startCluster() {
    cluster = PrivateRedisCluster.launch(3);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void setUp() {
    db = TestDatabase.create(ReconcileClusterIT.class);
    redis = RedisFixture.create(cluster.uri(), ReconcileClusterIT.class);
    functions = redis.functions();
    cli = new OpsCli(db, redis, cluster.uri());
  }

  @AfterEach
  void tearDown() {
    redis.close();
    db.close();
  }

  @Test
  void reconcile_driftsPlantedOnEveryMaster_areFoundByTheDryRunAndRepairedByApply() {
    Map<PrivateRedis, List<Long>> perMaster = perMaster();
    List<PrivateRedis> masters = List.copyOf(perMaster.keySet());
    long counterWrong = perMaster.get(masters.get(0)).get(0);
    long rowMissing = perMaster.get(masters.get(1)).get(0);
    long lost = perMaster.get(masters.get(2)).get(0);
    givenStoredRedemptions(counterWrong, 3);
    RedisFixture.join(
        redis.commands().hset(CouponKeys.meta(redis.prefix(), counterWrong), "stock", "999"));
    givenStoredRedemptions(rowMissing, 4);
    db.execute("DELETE FROM redemption WHERE redemption_id = '" + rowMissing + ".SO-2.1'");
    givenStoredRedemptions(lost, 3);
    assertThat(cli.run("reverse", lost + ".SO-3.1").exit()).isZero();
    for (String key : redis.keys()) {
      if (key.contains(":{" + lost + "}:")) {
        RedisFixture.join(redis.commands().unlink(key));
      }
    }

    Result dry = cli.run("reconcile", "--grace", "0s");

    assertThat(dry.exit()).as(dry.toString()).isEqualTo(3);
    for (long id : List.of(counterWrong, rowMissing, lost)) {
      assertThat(dry.out()).contains("coupon " + id + " \"coupon " + id + "\": DRIFT");
    }
    assertThat(dry.out())
        .contains(
            "drift     Redis counter wrong: Redis has stock/accepted/reversed 999/3/0, MySQL and"
                + " the outbox say 7/3/0 (in Redis itself stock + accepted is 1002, total is 10)")
        .contains(
            "drift     row missing in MySQL: 1 redemption is in Redis but neither in MySQL nor in"
                + " the outbox: "
                + rowMissing
                + ".SO-2.1")
        .contains(
            "drift     Redis lost the coupon (crash without AOF?): Redis holds nothing of it, MySQL"
                + " holds 2 accepted and 1 reversed rows")
        .endsWith("checked 3 coupons: 0 consistent, 3 drifting\n");

    Result apply = cli.run("reconcile", "--apply", "--grace", "0s");

    assertThat(apply.exit()).as(apply.toString()).isZero();
    assertThat(apply.out())
        .contains("repair    corrected stock/accepted/reversed from 999/3/0 to 7/3/0")
        .contains(
            "repair    wrote 1 row rebuilt from Redis's records into MySQL: "
                + rowMissing
                + ".SO-2.1")
        .contains(
            "repair    rebuilt coupon "
                + lost
                + " in Redis from MySQL: 3 redemption records restored first, then the coupon"
                + " made live with stock 8 (total 10 - 2 accepted rows)")
        .endsWith("checked 3 coupons: 0 consistent, 3 repaired, 0 still drifting\n");
    Result after = cli.run("reconcile", "--grace", "0s");
    assertThat(after.exit()).as(after.toString()).isZero();
    assertThat(after.out()).isEqualTo("checked 3 coupons: 3 consistent, 0 drifting\n");
    assertThat(cluster.cli(masters.get(2), "EXISTS", CouponKeys.meta(redis.prefix(), lost)).trim())
        .as("the rebuilt coupon lives on its master")
        .isEqualTo("1");
    assertCounters(counterWrong, 7, 3, 0);
    assertCounters(rowMissing, 6, 4, 0);
    assertCounters(lost, 8, 2, 1);
    assertThat(db.queryLong("SELECT COUNT(*) FROM redemption WHERE status = 'ACCEPTED'"))
        .isEqualTo(3 + 4 + 2);
  }

  @Test
  void outbox_findsPendingEntriesOnEveryMaster() {
    List<Long> ids = perMaster().values().stream().map(l -> l.get(0)).toList();
    for (long id : ids) {
      assertThat(cli.create(id, 10, 1).exit()).isZero();
      cli.redeem(id, "u-1", "SO-1");
      cli.redeem(id, "u-2", "SO-2");
    }

    Result r = cli.run("outbox");

    assertThat(r.exit()).as(r.toString()).isZero();
    for (long id : ids) {
      assertThat(r.out())
          .containsPattern("(?m)^" + id + "\\s+\\d+-\\d+\\s+accept\\s+" + id + "\\.SO-1\\.1\\s")
          .containsPattern("(?m)^" + id + "\\s+\\d+-\\d+\\s+accept\\s+" + id + "\\.SO-2\\.1\\s");
    }
    assertThat(r.out()).contains("6 pending in 3 coupons, the oldest ");
    assertThat(cli.run("outbox", "--json").out()).startsWith("{\"pending\":6,");
  }

  /** One coupon id on each master, under this test's prefix. */
  private Map<PrivateRedis, List<Long>> perMaster() {
    Map<PrivateRedis, List<Long>> ids = ClusterCoupons.perMaster(cluster, redis.prefix(), 100, 1);
    assertThat(ids).hasSize(3);
    return ids;
  }

  /** A coupon of stock 10 with {@code count} redemptions stored in MySQL, its outbox empty. */
  private void givenStoredRedemptions(long coupon, int count) {
    assertThat(cli.create(coupon, 10, 1).exit()).isZero();
    List<RedeemOutcome.Accepted> accepted = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      accepted.add(cli.redeem(coupon, "u-" + i, "SO-" + i));
    }
    cli.store(accepted);
  }

  private void assertCounters(long coupon, long stock, long accepted, long reversed) {
    CouponInspection inspection = functions.inspect(coupon).join().orElseThrow();
    assertThat(inspection.pending()).as("outbox of %d", coupon).isZero();
    assertThat(inspection.coupon().stock()).isEqualTo(stock);
    assertThat(inspection.coupon().accepted())
        .isEqualTo(accepted)
        .isEqualTo(
            db.queryLong(
                "SELECT COUNT(*) FROM redemption WHERE status = 'ACCEPTED' AND coupon_id = "
                    + coupon));
    assertThat(inspection.coupon().reversed()).isEqualTo(reversed);
  }
}
