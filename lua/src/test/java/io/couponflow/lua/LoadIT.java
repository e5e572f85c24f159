package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.RedisSnapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** cf_load, cf_pause and cf_resume against a real Redis. */
class LoadIT {
  private static final AtomicLong IDS = new AtomicLong();
  private static final Instant STARTS = Instant.parse("2024-01-01T00:00:00Z");
  private static final Instant ENDS = Instant.parse("2099-01-01T00:00:00Z");
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(LoadIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  private static TestCoupons base(long id) {
    return coupon(id).window(STARTS, ENDS).buckets(4);
  }

  private static RedeemOutcome redeem(Coupon c, String n) {
    return join(
        functions.redeem(
            new RedeemRequest(c.couponId(), "key-" + n, "u-" + n, "SO-" + n, 35_000), c.buckets()));
  }

  private static Map<String, String> meta(long id) {
    return join(redis.commands().hgetall(CouponKeys.meta(redis.prefix(), id)));
  }

  private static Map<String, String> metaOf(Coupon c, long stock, long accepted, long reversed) {
    return Map.ofEntries(
        Map.entry("version", Long.toString(c.version())),
        Map.entry("name", c.name()),
        Map.entry("total", Long.toString(c.totalStock())),
        Map.entry("limit", Integer.toString(c.perUserLimit())),
        Map.entry("threshold", Long.toString(c.thresholdCents())),
        Map.entry("discount", Long.toString(c.discountCents())),
        Map.entry("starts", Long.toString(c.startsAt().toEpochMilli())),
        Map.entry("ends", Long.toString(c.endsAt().toEpochMilli())),
        Map.entry("status", c.status().name()),
        Map.entry("buckets", Integer.toString(c.buckets())),
        Map.entry("stock", Long.toString(stock)),
        Map.entry("accepted", Long.toString(accepted)),
        Map.entry("reversed", Long.toString(reversed)),
        Map.entry("epoch", epoch()));
  }

  /** The node's replication id: the epoch a coupon created live carries. */
  private static String epoch() {
    String info = join(redis.commands().info("replication"));
    int at = info.indexOf("master_replid:") + "master_replid:".length();
    return info.substring(at, at + 40);
  }

  @Test
  void load_absent_createsDefinitionAndCounters() {
    Coupon c = base(IDS.incrementAndGet()).stock(10).build();
    RedisSnapshot before = redis.snapshot();

    assertThat(join(functions.load(c, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Created(10, true));

    assertThat(meta(c.couponId())).isEqualTo(metaOf(c, 10, 0, 0));
    assertThat(before.changesTo(redis.snapshot()).keySet())
        .containsExactly(CouponKeys.meta(redis.prefix(), c.couponId()));
    assertThat(redis.snapshot().key(CouponKeys.meta(redis.prefix(), c.couponId())).expireAtMillis())
        .isEqualTo(-1);
  }

  @Test
  void load_absentWithRowsInMySql_startsFromWhatIsLeft() {
    Coupon c = base(IDS.incrementAndGet()).stock(10).build();

    assertThat(join(functions.load(c, 4, 2, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Created(6, true));

    assertThat(meta(c.couponId())).isEqualTo(metaOf(c, 6, 4, 2));
  }

  @Test
  void load_absentWithMoreRowsThanStock_isRefusedAndCreatesNothing() {
    Coupon c = base(IDS.incrementAndGet()).stock(3).build();
    RedisSnapshot before = redis.snapshot();

    assertThat(join(functions.load(c, 4, 0, Duration.ZERO)))
        .isEqualTo(
            new LoadOutcome.Refused(
                "stock -1 + accepted 4 must equal total 3 and none may be negative"));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void load_sameOrOlderVersion_changesNothing() {
    Coupon v2 = base(IDS.incrementAndGet()).stock(10).version(2).build();
    join(functions.load(v2, 0, 0, Duration.ZERO));
    assertThat(redeem(v2, "1")).isInstanceOf(RedeemOutcome.Accepted.class);
    RedisSnapshot before = redis.snapshot();

    Coupon sameVersionOtherContent =
        base(v2.couponId()).stock(50).name("other").status(CouponStatus.PAUSED).version(2).build();
    Coupon older = base(v2.couponId()).stock(50).version(1).build();

    assertThat(join(functions.load(sameVersionOtherContent, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Unchanged(9, 2));
    assertThat(join(functions.load(older, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Unchanged(9, 2));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void load_newerVersion_refreshesTheDefinitionAndKeepsLiveState() {
    Coupon v1 = base(IDS.incrementAndGet()).stock(10).build();
    join(functions.load(v1, 0, 0, Duration.ZERO));
    assertThat(redeem(v1, "1")).isInstanceOf(RedeemOutcome.Accepted.class);
    assertThat(redeem(v1, "2")).isInstanceOf(RedeemOutcome.Accepted.class);
    RedisSnapshot before = redis.snapshot();
    Coupon v2 =
        base(v1.couponId())
            .stock(10)
            .name("60 off 400")
            .limit(3)
            .threshold(40_000)
            .discount(6_000)
            .window(STARTS.plusSeconds(1), ENDS.plusSeconds(1))
            .status(CouponStatus.PAUSED)
            .version(2)
            .build();

    assertThat(join(functions.load(v2, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Updated(8, 0));

    assertThat(meta(v1.couponId())).isEqualTo(metaOf(v2, 8, 2, 0));
    assertThat(before.changesTo(redis.snapshot()).keySet())
        .containsExactly(CouponKeys.meta(redis.prefix(), v1.couponId()));
  }

  @Test
  void load_restock_appliesTheDeltaExactlyOnce() {
    Coupon v1 = base(IDS.incrementAndGet()).stock(10).build();
    join(functions.load(v1, 0, 0, Duration.ZERO));
    assertThat(redeem(v1, "1")).isInstanceOf(RedeemOutcome.Accepted.class);
    Coupon v2 = base(v1.couponId()).stock(15).version(2).build();
    Coupon v3 = base(v1.couponId()).stock(12).version(3).build();

    assertThat(join(functions.load(v2, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Updated(14, 5));
    assertThat(join(functions.load(v2, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Unchanged(14, 2));
    assertThat(join(functions.load(v3, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Updated(11, -3));
    assertThat(join(functions.load(v2, 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Unchanged(11, 3));

    assertThat(meta(v1.couponId())).isEqualTo(metaOf(v3, 11, 1, 0));
  }

  @Test
  void load_totalBelowWhatIsRedeemed_isRefusedAndChangesNothing() {
    Coupon v1 = base(IDS.incrementAndGet()).stock(3).build();
    join(functions.load(v1, 0, 0, Duration.ZERO));
    assertThat(redeem(v1, "1")).isInstanceOf(RedeemOutcome.Accepted.class);
    assertThat(redeem(v1, "2")).isInstanceOf(RedeemOutcome.Accepted.class);
    RedisSnapshot before = redis.snapshot();

    assertThat(
            join(
                functions.load(
                    base(v1.couponId()).stock(1).version(2).build(), 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Refused("total 1 is below what is already redeemed (2)"));
    assertThat(redis.snapshot()).isEqualTo(before);
    assertThat(
            join(
                functions.load(
                    base(v1.couponId()).stock(2).version(2).build(), 0, 0, Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Updated(0, -1));
  }

  @Test
  void load_otherBucketCount_isRefusedAndChangesNothing() {
    Coupon v1 = base(IDS.incrementAndGet()).stock(10).build();
    join(functions.load(v1, 0, 0, Duration.ZERO));
    RedisSnapshot before = redis.snapshot();

    assertThat(
            join(
                functions.load(
                    base(v1.couponId()).stock(10).buckets(8).version(2).build(),
                    0,
                    0,
                    Duration.ZERO)))
        .isEqualTo(new LoadOutcome.Refused("buckets are 4 in Redis and cannot change to 8"));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void update_absent_answersAbsentAndCreatesNothing() {
    Coupon c = base(IDS.incrementAndGet()).stock(10).build();
    RedisSnapshot before = redis.snapshot();

    assertThat(join(functions.update(c))).isEqualTo(new LoadOutcome.Absent());

    assertThat(redis.snapshot()).isEqualTo(before);
  }

  @Test
  void update_live_refreshesTheDefinitionAsLoadDoes() {
    Coupon v1 = base(IDS.incrementAndGet()).stock(10).build();
    join(functions.load(v1, 0, 0, Duration.ZERO));
    assertThat(redeem(v1, "1")).isInstanceOf(RedeemOutcome.Accepted.class);
    Coupon v2 = base(v1.couponId()).stock(15).name("restocked").version(2).build();

    assertThat(join(functions.update(v2))).isEqualTo(new LoadOutcome.Updated(14, 5));
    assertThat(join(functions.update(v2))).isEqualTo(new LoadOutcome.Unchanged(14, 2));

    assertThat(meta(v1.couponId())).isEqualTo(metaOf(v2, 14, 1, 0));
  }

  @Test
  void update_totalBelowWhatIsRedeemed_isRefusedAsLoadRefusesIt() {
    Coupon v1 = base(IDS.incrementAndGet()).stock(3).build();
    join(functions.load(v1, 0, 0, Duration.ZERO));
    assertThat(redeem(v1, "1")).isInstanceOf(RedeemOutcome.Accepted.class);
    assertThat(redeem(v1, "2")).isInstanceOf(RedeemOutcome.Accepted.class);
    RedisSnapshot before = redis.snapshot();

    assertThat(join(functions.update(base(v1.couponId()).stock(1).version(2).build())))
        .isEqualTo(new LoadOutcome.Refused("total 1 is below what is already redeemed (2)"));
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  /**
   * The dry run's question: cf_load_plan answers what cf_load would, in every state cf_load answers
   * differently, and writes nothing.
   */
  @Test
  void loadPlan_answersWhatLoadWould_andWritesNothing() {
    long id = IDS.incrementAndGet();
    Coupon v1 = base(id).stock(10).build();
    Coupon restock = base(id).stock(15).version(2).build();
    Coupon tooSmall = base(id).stock(0).version(2).build();
    Coupon otherBuckets = base(id).stock(10).buckets(8).version(2).build();

    RedisSnapshot absent = redis.snapshot();
    assertThat(join(functions.loadPlan(v1, 2, 1))).isEqualTo(new LoadOutcome.Created(8, false));
    assertThat(join(functions.loadPlan(v1, 11, 0)))
        .isEqualTo(
            new LoadOutcome.Refused(
                "stock -1 + accepted 11 must equal total 10 and none may be negative"));
    assertThat(join(functions.updatePlan(v1))).isEqualTo(new LoadOutcome.Absent());
    assertThat(redis.snapshot()).isEqualTo(absent);

    join(functions.load(v1, 0, 0, Duration.ZERO));
    assertThat(redeem(v1, "1")).isInstanceOf(RedeemOutcome.Accepted.class);
    RedisSnapshot live = redis.snapshot();
    List<Map.Entry<Coupon, LoadOutcome>> cases =
        List.of(
            Map.entry(v1, new LoadOutcome.Unchanged(9, 1)),
            Map.entry(restock, new LoadOutcome.Updated(14, 5)),
            Map.entry(
                tooSmall, new LoadOutcome.Refused("total 0 is below what is already redeemed (1)")),
            Map.entry(
                otherBuckets,
                new LoadOutcome.Refused("buckets are 4 in Redis and cannot change to 8")));
    for (Map.Entry<Coupon, LoadOutcome> c : cases) {
      assertThat(join(functions.loadPlan(c.getKey(), 0, 0))).isEqualTo(c.getValue());
      assertThat(join(functions.updatePlan(c.getKey()))).isEqualTo(c.getValue());
    }
    assertThat(redis.snapshot()).isEqualTo(live);
    assertThat(join(functions.loadPlan(restock, 0, 0)))
        .isEqualTo(join(functions.load(restock, 0, 0)));
  }

  @Test
  void pauseAndResume_withVersions_applyOnlyNewerOnes() {
    Coupon v3 = base(IDS.incrementAndGet()).version(3).build();
    long id = v3.couponId();
    join(functions.load(v3, 0, 0, Duration.ZERO));

    assertThat(join(functions.setStatus(id, CouponStatus.PAUSED, 2))).contains(CouponStatus.ACTIVE);
    assertThat(meta(id)).containsEntry("status", "ACTIVE").containsEntry("version", "3");
    assertThat(join(functions.setStatus(id, CouponStatus.PAUSED, 4))).contains(CouponStatus.PAUSED);
    assertThat(meta(id)).containsEntry("status", "PAUSED").containsEntry("version", "4");
    assertThat(join(functions.setStatus(id, CouponStatus.ACTIVE, 0))).contains(CouponStatus.ACTIVE);
    assertThat(meta(id)).containsEntry("status", "ACTIVE").containsEntry("version", "4");
    assertThat(join(functions.setStatus(999_997, CouponStatus.PAUSED, 0)))
        .isEqualTo(Optional.empty());
  }

  @Test
  void restock_duringConcurrentTraffic_neitherLosesNorDoublesStock() throws Exception {
    Coupon v1 = base(IDS.incrementAndGet()).stock(500).limit(1).threshold(0).buckets(16).build();
    join(functions.load(v1, 0, 0, Duration.ZERO));
    int threads = 8;
    int perThread = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads + 2);
    try {
      List<Future<Integer>> redeemers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        redeemers.add(
            pool.submit(
                () -> {
                  int accepted = 0;
                  for (int i = 0; i < perThread; i++) {
                    if (redeem(v1, thread + "-" + i) instanceof RedeemOutcome.Accepted) {
                      accepted++;
                    }
                  }
                  return accepted;
                }));
      }
      List<Future<List<LoadOutcome>>> restockers = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        restockers.add(
            pool.submit(
                () -> {
                  List<LoadOutcome> outcomes = new ArrayList<>();
                  for (int version = 2; version <= 11; version++) {
                    Coupon next =
                        base(v1.couponId())
                            .stock(500 + 100L * (version - 1))
                            .limit(1)
                            .threshold(0)
                            .buckets(16)
                            .version(version)
                            .build();
                    outcomes.add(join(functions.load(next, 0, 0, Duration.ZERO)));
                    Thread.sleep(5);
                  }
                  return outcomes;
                }));
      }
      int accepted = 0;
      for (Future<Integer> f : redeemers) {
        accepted += f.get(60, TimeUnit.SECONDS);
      }
      List<LoadOutcome> loads = new ArrayList<>();
      for (Future<List<LoadOutcome>> f : restockers) {
        loads.addAll(f.get(60, TimeUnit.SECONDS));
      }

      long deltas =
          loads.stream()
              .filter(LoadOutcome.Updated.class::isInstance)
              .mapToLong(o -> ((LoadOutcome.Updated) o).restockDelta())
              .sum();
      assertThat(deltas).as("the restocks applied once each").isEqualTo(1_000);
      assertThat(loads).hasSize(20).allMatch(o -> !(o instanceof LoadOutcome.Refused));
      LiveCoupon live = join(functions.coupon(v1.couponId())).orElseThrow();
      assertThat(live.definition().totalStock()).isEqualTo(1_500);
      assertThat(live.definition().version()).isEqualTo(11);
      assertThat(live.accepted()).isEqualTo(accepted);
      assertThat(live.accepted() + live.stock()).isEqualTo(1_500);
      assertThat(join(functions.inspect(v1.couponId())).orElseThrow().pendingAccepts())
          .isEqualTo(accepted);
      assertThat(accepted).isBetween(500, threads * perThread);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void load_malformedDefinitionFromRedisCli_isRefusedWithAReasonAndCreatesNothing() {
    String meta = CouponKeys.meta(redis.prefix(), IDS.incrementAndGet());
    String[] good = {"1", "n", "10", "1", "0", "1", "0", "1", "ACTIVE", "1", "10", "0", "0"};
    RedisSnapshot before = redis.snapshot();

    assertThat(loadError(meta, good, 8, "OPEN"))
        .contains("couponflow: argument 9 (status) must be ACTIVE or PAUSED, got OPEN");
    assertThat(loadError(meta, good, 2, "-1")).contains("couponflow: argument 3 (total)");
    assertThat(loadError(meta, good, 3, "0"))
        .contains("couponflow: argument 4 (limit) must be at least 1");
    assertThat(loadError(meta, good, 5, "0"))
        .contains("couponflow: argument 6 (discount) must be at least 1");
    assertThat(loadError(meta, good, 7, "0"))
        .contains("couponflow: argument 8 (ends) must be after argument 7 (starts)");
    assertThat(loadError(meta, good, 9, "3"))
        .contains("couponflow: argument 10 (buckets) must be a power of two 1..65536, got 3");
    assertThat(loadError(meta, good, 0, "x")).contains("couponflow: argument 1 (version)");
    assertThat(loadError(meta, good, 10, "UPDATE_ONLY"))
        .contains(
            "couponflow: argument 11 (stockIfAbsent) is UPDATE_ONLY, so no argument may follow it,"
                + " got 2 more");
    assertThat(redis.snapshot()).isEqualTo(before);
  }

  private static String loadError(String meta, String[] good, int index, String value) {
    String[] args = good.clone();
    args[index] = value;
    CompletableFuture<List<Object>> call =
        redis
            .commands()
            .<List<Object>>fcall(
                "cf_load", io.lettuce.core.ScriptOutputType.MULTI, new String[] {meta}, args)
            .toCompletableFuture();
    assertThat(call).failsWithin(java.time.Duration.ofSeconds(5));
    return call.handle((v, e) -> e.getMessage()).join();
  }
}
