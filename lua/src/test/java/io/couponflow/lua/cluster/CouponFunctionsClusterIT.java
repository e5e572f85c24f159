package io.couponflow.lua.cluster;

import static io.couponflow.lua.cluster.ClusterCoupons.coupon;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.config.RedisSettings;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedisStore;
import io.couponflow.lua.Rejection;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Functions library and its typed calls on a private 3-master Redis Cluster: routing by hash
 * tag, the library on every master, every outcome, reversal, concurrency invariants, pub/sub.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class CouponFunctionsClusterIT {
  private static PrivateRedisCluster cluster;
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void startCluster() {
    cluster = PrivateRedisCluster.launch(3);
    redis = RedisFixture.create(cluster.uri(), CouponFunctionsClusterIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void stopCluster() {
    if (redis != null) {
      redis.close();
    }
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void freshConnection_firstCallsToEveryMaster_succeed() {
    List<Long> ids = ClusterCoupons.onePerMaster(cluster, redis.prefix(), 100);
    try (RedisStore fresh = RedisStore.connect(RedisSettings.of(cluster.uri(), redis.prefix()))) {
      CouponFunctions calls = new CouponFunctions(fresh, RedisFixture.RETENTION);
      for (long id : ids) {
        assertThat(calls.load(coupon(id, 5, 1, 0, 10), 0, 0, Duration.ZERO).join())
            .isEqualTo(new LoadOutcome.Created(5, true));
        assertThat(calls.redeem(new RedeemRequest(id, "k-1", "u-1", "o-1", 100), 1).join())
            .isInstanceOf(RedeemOutcome.Accepted.class);
      }
    }
  }

  @Test
  void keysOfOneCoupon_allHashToOneSlot_andLiveOnItsMasterOnly() {
    for (long id : ClusterCoupons.onePerMaster(cluster, redis.prefix(), 200)) {
      Coupon c = coupon(id, 1000, 1, 0, 10);
      functions.load(c, 0, 0, Duration.ZERO).join();
      RedeemRequest request = new RedeemRequest(id, "key-7", "user-7", "order-7", 100);
      assertThat(functions.redeem(request, c.buckets()).join())
          .isInstanceOf(RedeemOutcome.Accepted.class);

      CouponKeys k = functions.keys(id, c.buckets());
      List<String> written =
          List.of(
              k.meta(), k.users("user-7"), k.orders("order-7"), k.idempotency("key-7"), k.outbox());
      int slot = cluster.keySlot("{" + id + "}");
      for (String key : written) {
        assertThat(cluster.keySlot(key)).as(key).isEqualTo(slot);
      }
      assertThat(cluster.keySlot(k.history())).isEqualTo(slot);
      PrivateRedis owner = cluster.ownerOf(slot);
      String pattern = redis.prefix() + ":{" + id + "}:*";
      assertThat(scan(owner, pattern)).containsExactlyInAnyOrderElementsOf(written);
      for (PrivateRedis other : cluster.masters()) {
        if (!other.equals(owner)) {
          assertThat(scan(other, pattern)).as("keys on %s", other.port()).isEmpty();
        }
      }
    }
  }

  @Test
  void ensureLoaded_withOneMasterMissingTheLibrary_loadsItThereAndReportsEachVersion() {
    List<PrivateRedis> masters = cluster.masters();
    cluster.cli(masters.get(1), "FUNCTION", "DELETE", CouponLibrary.NAME);

    List<Integer> before = CouponLibrary.ensureLoaded(redis.redis()).join();

    assertThat(before).hasSize(3).containsOnlyOnce(0);
    assertThat(before.stream().filter(v -> v == CouponLibrary.version()).count()).isEqualTo(2);
    for (PrivateRedis master : masters) {
      assertThat(cluster.cli(master, "FCALL_RO", "cf_version", "0").trim())
          .isEqualTo(Integer.toString(CouponLibrary.version()));
    }
    assertThat(CouponLibrary.ensureLoaded(redis.redis()).join())
        .containsExactly(CouponLibrary.version(), CouponLibrary.version(), CouponLibrary.version());
  }

  @Test
  void redeem_everyOutcome_onEveryMaster() {
    for (long id : ClusterCoupons.onePerMaster(cluster, redis.prefix(), 300)) {
      Coupon c = coupon(id, 2, 1, 100, 50);
      assertThat(functions.load(c, 0, 0, Duration.ZERO).join())
          .isEqualTo(new LoadOutcome.Created(2, true));
      int b = c.buckets();

      RedeemRequest first = new RedeemRequest(id, "k-1", "u-1", "o-1", 150);
      RedeemOutcome accepted = functions.redeem(first, b).join();
      assertThat(accepted).isInstanceOf(RedeemOutcome.Accepted.class);
      Redemption r = ((RedeemOutcome.Accepted) accepted).redemption();
      assertThat(r.redemptionId().toString()).isEqualTo(id + ".o-1.1");
      assertThat(r.discountCents()).isEqualTo(50);

      assertThat(functions.redeem(first, b).join()).isEqualTo(new RedeemOutcome.Replayed(r));
      assertThat(rejection(new RedeemRequest(id, "k-1", "u-1", "o-1", 151), b))
          .isEqualTo(Rejection.IDEMPOTENCY_KEY_REUSED);
      assertThat(rejection(new RedeemRequest(id, "k-2", "u-1", "o-2", 150), b))
          .isEqualTo(Rejection.USER_LIMIT_REACHED);
      assertThat(rejection(new RedeemRequest(id, "k-3", "u-2", "o-1", 150), b))
          .isEqualTo(Rejection.ORDER_ALREADY_REDEEMED);
      assertThat(rejection(new RedeemRequest(id, "k-4", "u-2", "o-2", 99), b))
          .isEqualTo(Rejection.ORDER_BELOW_THRESHOLD);
      assertThat(functions.redeem(new RedeemRequest(id, "k-5", "u-2", "o-2", 100), b).join())
          .isInstanceOf(RedeemOutcome.Accepted.class);
      assertThat(rejection(new RedeemRequest(id, "k-6", "u-3", "o-3", 100), b))
          .isEqualTo(Rejection.SOLD_OUT);
      assertThat(functions.setStatus(id, CouponStatus.PAUSED, 0).join())
          .contains(CouponStatus.PAUSED);
      assertThat(rejection(new RedeemRequest(id, "k-7", "u-4", "o-4", 100), b))
          .isEqualTo(Rejection.COUPON_NOT_ACTIVE);
      assertThat(rejection(new RedeemRequest(id + 1_000_000, "k-8", "u-4", "o-4", 100), 1))
          .isEqualTo(Rejection.COUPON_NOT_FOUND);

      var live = functions.coupon(id).join().orElseThrow();
      assertThat(live.stock()).isZero();
      assertThat(live.accepted()).isEqualTo(2);
      assertThat(functions.inspect(id).join().orElseThrow().pendingAccepts()).isEqualTo(2);
    }
  }

  @Test
  void reverse_onEveryMaster_givesBackStockQuotaAndOrder() {
    for (long id : ClusterCoupons.onePerMaster(cluster, redis.prefix(), 400)) {
      Coupon c = coupon(id, 1, 1, 0, 30);
      functions.load(c, 0, 0, Duration.ZERO).join();
      int b = c.buckets();
      var accepted =
          (RedeemOutcome.Accepted)
              functions.redeem(new RedeemRequest(id, "k-1", "u-1", "o-1", 100), b).join();

      ReverseOutcome reversed =
          functions.reverse(accepted.redemption().redemptionId(), b, "cancelled").join();
      assertThat(reversed)
          .isInstanceOfSatisfying(
              ReverseOutcome.Reversed.class,
              rev -> {
                assertThat(rev.replayed()).isFalse();
                assertThat(rev.redemption().status()).isEqualTo(RedemptionStatus.REVERSED);
              });
      assertThat(functions.reverse(accepted.redemption().redemptionId(), b, "again").join())
          .isInstanceOfSatisfying(
              ReverseOutcome.Reversed.class, rev -> assertThat(rev.replayed()).isTrue());

      var live = functions.coupon(id).join().orElseThrow();
      assertThat(live.stock()).isEqualTo(1);
      assertThat(live.accepted()).isZero();
      assertThat(live.reversed()).isEqualTo(1);
      RedeemOutcome again =
          functions.redeem(new RedeemRequest(id, "k-2", "u-1", "o-1", 100), b).join();
      assertThat(again)
          .isInstanceOfSatisfying(
              RedeemOutcome.Accepted.class,
              a -> assertThat(a.redemption().redemptionId().toString()).isEqualTo(id + ".o-1.2"));
      assertThat(functions.inspect(id).join().orElseThrow().pending()).isEqualTo(3);
    }
  }

  @Test
  void concurrentRedeems_onCouponsOfEveryMaster_keepTheInvariantsExactly() throws Exception {
    List<Long> ids = ClusterCoupons.onePerMaster(cluster, redis.prefix(), 500);
    Map<Long, Coupon> coupons = new HashMap<>();
    for (long id : ids) {
      Coupon c = coupon(id, 300, 2, 0, 10);
      functions.load(c, 0, 0, Duration.ZERO).join();
      coupons.put(id, c);
    }
    Map<Long, List<Redemption>> accepted = new ConcurrentHashMap<>();
    ids.forEach(id -> accepted.put(id, java.util.Collections.synchronizedList(new ArrayList<>())));
    Map<Rejection, Integer> rejected = new ConcurrentHashMap<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        workers.add(
            pool.submit(
                () -> {
                  ThreadLocalRandom random = ThreadLocalRandom.current();
                  for (int i = 0; i < 600; i++) {
                    long id = ids.get(random.nextInt(ids.size()));
                    RedeemRequest request =
                        new RedeemRequest(
                            id,
                            "k-" + thread + "-" + i,
                            "u-" + random.nextInt(200),
                            "o-" + random.nextInt(500),
                            100);
                    RedeemOutcome outcome =
                        functions.redeem(request, coupons.get(id).buckets()).join();
                    if (outcome instanceof RedeemOutcome.Accepted a) {
                      accepted.get(id).add(a.redemption());
                    } else if (outcome instanceof RedeemOutcome.Rejected r) {
                      rejected.merge(r.rejection(), 1, Integer::sum);
                    }
                  }
                }));
      }
      for (Future<?> worker : workers) {
        worker.get();
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(rejected).containsKey(Rejection.SOLD_OUT);
    for (long id : ids) {
      List<Redemption> mine = accepted.get(id);
      var live = functions.coupon(id).join().orElseThrow();
      assertThat(mine).hasSize(300);
      assertThat(live.accepted()).isEqualTo(300);
      assertThat(live.stock()).isZero();
      assertThat(functions.inspect(id).join().orElseThrow().pendingAccepts()).isEqualTo(300);
      assertThat(mine.stream().collect(Collectors.groupingBy(Redemption::userId)).values())
          .allSatisfy(perUser -> assertThat(perUser).hasSizeLessThanOrEqualTo(2));
      assertThat(mine.stream().map(r -> r.redemptionId().orderId()).distinct().count())
          .isEqualTo(300);
    }
  }

  @Test
  void publish_fromAnyMaster_reachesASubscriber() {
    String channel = redis.prefix() + ":events";
    Set<String> received = ConcurrentHashMap.newKeySet();
    StatefulRedisPubSubConnection<String, String> subscriber = redis.connectPubSub();
    try {
      subscriber.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String from, String message) {
              received.add(message);
            }
          });
      subscriber.sync().subscribe(channel);
      List<String> sent = new ArrayList<>();
      for (PrivateRedis master : cluster.masters()) {
        String message = "changed " + master.port();
        cluster.cli(master, "PUBLISH", channel, message);
        sent.add(message);
      }
      redis.functions().publishLoaded(List.of(1L, 2L)).join();
      sent.add("loaded 1 2");

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(received).containsExactlyInAnyOrderElementsOf(sent));
    } finally {
      subscriber.close();
    }
  }

  @Test
  void couponsWithPendingOutbox_findsOutboxesOnEveryMaster() {
    List<Long> ids = ClusterCoupons.onePerMaster(cluster, redis.prefix(), 600);
    for (long id : ids) {
      Coupon c = coupon(id, 10, 1, 0, 10);
      functions.load(c, 0, 0, Duration.ZERO).join();
      functions.redeem(new RedeemRequest(id, "k", "u", "o", 100), c.buckets()).join();
    }

    assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(10))).containsAll(ids);
  }

  private static Rejection rejection(RedeemRequest request, int buckets) {
    RedeemOutcome outcome = functions.redeem(request, buckets).join();
    assertThat(outcome).isInstanceOf(RedeemOutcome.Rejected.class);
    return ((RedeemOutcome.Rejected) outcome).rejection();
  }

  private static List<String> scan(PrivateRedis node, String pattern) {
    return cluster
        .cli(node, "--scan", "--pattern", pattern)
        .lines()
        .filter(s -> !s.isBlank())
        .toList();
  }
}
