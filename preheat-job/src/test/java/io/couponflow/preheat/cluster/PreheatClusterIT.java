package io.couponflow.preheat.cluster;

import static io.couponflow.preheat.JobRunner.insert;
import static io.couponflow.preheat.JobRunner.insertAccepted;
import static io.couponflow.preheat.JobRunner.liveCoupon;
import static io.couponflow.preheat.JobRunner.restock;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.lua.CouponEvents;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.HotSet;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.cluster.ClusterCoupons;
import io.couponflow.model.Coupon;
import io.couponflow.preheat.JobRunner;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The preheat job against a private 3-master Redis Cluster: the coupons it loads spread over every
 * master, and what it publishes and remembers (the hot set) reaches every gateway. One cluster for
 * the class; each test has its own database and key prefix.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class PreheatClusterIT {
  private static PrivateRedisCluster cluster;

  @TempDir Path dir;

  private TestDatabase db;
  private RedisFixture redis;
  private CouponFunctions functions;
  private JobRunner job;

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
    db = TestDatabase.create(PreheatClusterIT.class);
    redis = RedisFixture.create(cluster.uri(), PreheatClusterIT.class);
    functions = redis.functions();
    job = new JobRunner(db.settings(), cluster.uri(), redis.prefix(), dir.resolve("s.json.gz"));
  }

  @AfterEach
  void tearDown() {
    redis.close();
    db.close();
  }

  @Test
  void firstRun_loadsCouponsOnEveryMaster_andTellsTheGateways() {
    Map<PrivateRedis, List<Long>> perMaster = perMaster(2);
    List<Long> ids = perMaster.values().stream().flatMap(List::stream).toList();
    List<Long> withRows = perMaster.values().stream().map(l -> l.get(0)).toList();
    for (long id : ids) {
      insert(db, liveCoupon(id, 100));
    }
    for (long id : withRows) {
      insertAccepted(db, id, 3);
    }
    Set<Long> announced = ConcurrentHashMap.newKeySet();
    StatefulRedisPubSubConnection<String, String> subscriber = redis.connectPubSub();
    try {
      subscriber.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
              CouponEvents.parse(message)
                  .filter(e -> e.kind() == CouponEvents.Kind.LOADED)
                  .ifPresent(e -> announced.addAll(e.couponIds()));
            }
          });
      subscriber.sync().subscribe(CouponEvents.channel(redis.prefix()));

      JobRunner.Outcome outcome = job.run();

      assertThat(outcome.exitCode()).as(outcome.err()).isZero();
      assertThat(outcome.summary())
          .startsWith(
              "preheat: loaded=6 already_live=0 updated=0 restocked=0 failed=0 source=mysql");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(announced).containsExactlyInAnyOrderElementsOf(ids));
    } finally {
      subscriber.close();
    }
    perMaster.forEach(
        (master, onIt) -> {
          for (long id : onIt) {
            assertThat(cluster.cli(master, "EXISTS", CouponKeys.meta(redis.prefix(), id)).trim())
                .as("coupon %d on its master %d", id, master.port())
                .isEqualTo("1");
            LiveCoupon live = live(id);
            long rows = withRows.contains(id) ? 3 : 0;
            assertThat(live.accepted()).isEqualTo(rows);
            assertThat(live.stock()).isEqualTo(100 - rows);
          }
        });
    for (long id : withRows) {
      assertThat(
              functions
                  .redeem(new RedeemRequest(id, "key-1", "u-1", "SO-1", 1000), live(id).buckets())
                  .join())
          .as("the redemption MySQL holds came back with coupon %d", id)
          .isInstanceOf(RedeemOutcome.Replayed.class);
    }
    assertThat(hotSet()).containsExactlyInAnyOrderElementsOf(ids);
  }

  @Test
  void secondRun_changesNothingOnAnyMaster() {
    List<Long> ids = perMaster(1).values().stream().flatMap(List::stream).toList();
    for (long id : ids) {
      insert(db, liveCoupon(id, 10));
      insertAccepted(db, id, 4);
    }
    assertThat(job.run().exitCode()).isZero();
    Map<Long, Map<String, String>> before = new LinkedHashMap<>();
    ids.forEach(id -> before.put(id, meta(id)));

    JobRunner.Outcome again = job.run();

    assertThat(again.exitCode()).isZero();
    assertThat(again.summary())
        .startsWith("preheat: loaded=0 already_live=3 updated=0 restocked=0 failed=0 source=mysql");
    for (long id : ids) {
      assertThat(meta(id)).isEqualTo(before.get(id)).containsEntry("stock", "6");
    }
  }

  @Test
  void restock_isAppliedOnceOnEveryMaster_andKeepsWhatWasRedeemed() {
    List<Coupon> coupons = new ArrayList<>();
    for (long id : perMaster(1).values().stream().flatMap(List::stream).toList()) {
      Coupon c = liveCoupon(id, 100);
      insert(db, c);
      coupons.add(c);
    }
    assertThat(job.run().exitCode()).isZero();
    for (Coupon c : coupons) {
      for (int i = 0; i < 3; i++) {
        RedeemRequest request =
            new RedeemRequest(c.couponId(), "k-" + i, "u-" + i, "SO-" + i, 1000);
        assertThat(functions.redeem(request, c.buckets()).join())
            .isInstanceOf(RedeemOutcome.Accepted.class);
      }
      restock(db, c.couponId(), 50);
    }

    JobRunner.Outcome restocked = job.run();
    JobRunner.Outcome again = job.run();

    assertThat(restocked.summary())
        .startsWith("preheat: loaded=0 already_live=0 updated=3 restocked=3 failed=0");
    assertThat(again.summary())
        .startsWith("preheat: loaded=0 already_live=3 updated=0 restocked=0 failed=0");
    for (Coupon c : coupons) {
      LiveCoupon after = live(c.couponId());
      assertThat(after.definition().totalStock()).isEqualTo(150);
      assertThat(after.stock()).isEqualTo(147);
      assertThat(after.accepted()).isEqualTo(3);
      assertThat(after.definition().version()).isEqualTo(2);
    }
  }

  /** {@code count} coupon ids on each master, under this test's prefix. */
  private Map<PrivateRedis, List<Long>> perMaster(int count) {
    Map<PrivateRedis, List<Long>> ids = ClusterCoupons.perMaster(cluster, redis.prefix(), 1, count);
    assertThat(ids).hasSize(3);
    return ids;
  }

  private LiveCoupon live(long id) {
    return functions.coupon(id).join().orElseThrow(() -> new AssertionError(id + " not live"));
  }

  private Map<String, String> meta(long id) {
    return RedisFixture.join(redis.commands().hgetall(CouponKeys.meta(redis.prefix(), id)));
  }

  private List<Long> hotSet() {
    return RedisFixture.join(new HotSet(redis.redis()).members());
  }
}
