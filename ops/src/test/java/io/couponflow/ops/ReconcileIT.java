package io.couponflow.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.Rejection;
import io.couponflow.model.CouponStatus;
import io.couponflow.ops.OpsCli.Result;
import io.couponflow.ops.reconcile.CouponReader;
import io.couponflow.ops.reconcile.Done;
import io.couponflow.ops.reconcile.Finding;
import io.couponflow.ops.reconcile.Reconciler;
import io.couponflow.ops.reconcile.Repair;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ReconcileIT {
  private TestDatabase db;
  private RedisFixture redis;
  private CouponFunctions functions;
  private OpsCli cli;

  @BeforeEach
  void setUp() {
    db = TestDatabase.create(ReconcileIT.class);
    redis = RedisFixture.create(ReconcileIT.class);
    functions = redis.functions();
    cli = new OpsCli(db, redis);
  }

  @AfterEach
  void tearDown() {
    redis.close();
    db.close();
  }

  @Test
  void reconcile_fourPlantedDrifts_dryRunNamesEachCauseAndApplyRepairsThem() throws Exception {
    givenStoredRedemptions(21, 10, 3);

    givenStoredRedemptions(22, 10, 4);
    cli.run("reverse", "22.SO-4.1");
    db.execute("DELETE FROM redemption WHERE redemption_id = '22.SO-2.1'");

    givenStoredRedemptions(23, 10, 3);
    setRedisField(23, "stock", "999");

    givenStoredRedemptions(24, 10, 2);
    for (int i = 3; i <= 5; i++) {
      cli.redeem(24, "u-" + i, "SO-" + i);
    }

    givenStoredRedemptions(25, 10, 3);
    cli.run("reverse", "25.SO-3.1", "--reason", "cancelled");
    for (String key : redis.keys()) {
      if (key.contains(":{25}:")) {
        redis.commands().unlink(key).toCompletableFuture().join();
      }
    }

    Result dry = cli.run("reconcile", "--grace", "0s");

    assertThat(dry.exit()).as(dry.toString()).isEqualTo(3);
    assertThat(dry.out())
        .doesNotContain("coupon 21 ")
        .contains("coupon 22 \"coupon 22\": DRIFT")
        .contains(
            "drift     row missing in MySQL: 1 redemption is in Redis but neither in MySQL nor in"
                + " the outbox: 22.SO-2.1")
        .contains("coupon 23 \"coupon 23\": DRIFT")
        .contains(
            "drift     Redis counter wrong: Redis has stock/accepted/reversed 999/3/0, MySQL and"
                + " the outbox say 7/3/0 (in Redis itself stock + accepted is 1002, total is 10)")
        .contains("coupon 24 \"coupon 24\": DRIFT")
        .contains(
            "drift     outbox not drained yet: 3 entries are not in MySQL yet (3 accepts, 0 reversals), the oldest")
        .contains("coupon 25 \"coupon 25\": DRIFT")
        .contains(
            "drift     Redis lost the coupon (crash without AOF?): Redis holds nothing of it, MySQL"
                + " holds 2 accepted and 1 reversed rows")
        .endsWith("checked 5 coupons: 1 consistent, 4 drifting\n");
    assertThat(dry.err()).isEqualTo("reconcile: 5/5 coupons checked, 4 drifting\n");
    assertThat(live(23).stock()).as("a dry run changes nothing").isEqualTo(999);
    assertThat(db.queryLong("SELECT COUNT(*) FROM redemption")).isEqualTo(3 + 3 + 3 + 2 + 3);
    assertThat(cli.run("reconcile", "--grace", "0s", "--json").out())
        .contains("\"kind\":\"ROW_MISSING_IN_MYSQL\"")
        .contains("\"kind\":\"COUNTER_WRONG\"")
        .contains("\"kind\":\"OUTBOX_NOT_DRAINED\"")
        .contains("\"kind\":\"REDIS_LOST\"")
        .contains("\"checked\":5,\"consistent\":1,\"drifting\":4");

    Result apply = cli.run("reconcile", "--apply", "--grace", "0s");

    assertThat(apply.exit()).as(apply.toString()).isZero();
    assertThat(apply.out())
        .contains("repair    wrote 1 row rebuilt from Redis's records into MySQL: 22.SO-2.1")
        .contains("repair    corrected stock/accepted/reversed from 999/3/0 to 7/3/0")
        .contains("repair    replayed the outbox into MySQL: 3 entries stored")
        .contains(
            "repair    rebuilt coupon 25 in Redis from MySQL: 3 redemption records restored first,"
                + " then the coupon made live with stock 8 (total 10 - 2 accepted rows)")
        .endsWith("checked 5 coupons: 1 consistent, 4 repaired, 0 still drifting\n");
    Result after = cli.run("reconcile", "--grace", "0s");
    assertThat(after.exit()).as(after.toString()).isZero();
    assertThat(after.out()).isEqualTo("checked 5 coupons: 5 consistent, 0 drifting\n");
    for (long coupon : List.of(21L, 22L, 23L, 24L, 25L)) {
      assertInvariants(coupon, 10, 1);
    }
    assertThat(
            db.queryLong(
                "SELECT COUNT(*) FROM redemption WHERE redemption_id = '22.SO-2.1'"
                    + " AND idempotency_key = 'key-22-SO-2' AND user_id = 'u-2'"
                    + " AND status = 'ACCEPTED' AND order_amount_cents = 5000"))
        .isEqualTo(1);
    assertThat(live(25).definition().status()).isEqualTo(CouponStatus.ACTIVE);
    assertThat(
            functions.redeem(new RedeemRequest(25, "another-key", "u-9", "SO-1", 5000), 1).join())
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.ORDER_ALREADY_REDEEMED));
    assertThat(cli.redeemAny(25, "u-1", "SO-1")).isInstanceOf(RedeemOutcome.Replayed.class);
    assertThat(cli.run("reverse", "25.SO-1.1").exit()).isZero();
    assertThat(live(25).stock()).isEqualTo(9);
  }

  @Test
  void reconcile_redisLostEverything_rebuildsEveryCouponFromMySql() throws Exception {
    givenStoredRedemptions(31, 10, 4);
    cli.run("reverse", "31.SO-4.1");
    givenStoredRedemptions(32, 5, 2);
    assertThat(cli.run("coupon", "pause", "32").exit()).isZero();
    List<String> keys = redis.keys();
    assertThat(keys).isNotEmpty();
    for (String key : keys) {
      redis.commands().unlink(key).toCompletableFuture().join();
    }

    Result dry = cli.run("reconcile", "--json");

    assertThat(dry.exit()).as(dry.toString()).isEqualTo(3);
    assertThat(dry.out())
        .contains(
            "{\"couponId\":31,\"result\":\"DRIFT\",\"redis\":null,"
                + "\"mysql\":{\"accepted\":3,\"reversed\":1},\"expected\":null,"
                + "\"drifts\":[{\"kind\":\"REDIS_LOST\"")
        .contains("{\"couponId\":32,\"result\":\"DRIFT\",\"redis\":null,");

    Result apply = cli.run("reconcile", "--apply", "--json");

    assertThat(apply.exit()).as(apply.toString()).isZero();
    assertThat(apply.out())
        .contains(
            "\"repairReport\":{\"restored\":[\"31.SO-1.1\",\"31.SO-2.1\",\"31.SO-3.1\","
                + "\"31.SO-4.1\"],\"reversalsRestored\":[],\"keysRestored\":4,"
                + "\"userCountsFixed\":3,\"pendingInOutbox\":0,\"onlyInRedis\":[],"
                + "\"contradictions\":0,\"counters\":{\"stock\":7,\"accepted\":3,"
                + "\"reversed\":1},\"oversoldBy\":0}");
    assertThat(cli.run("reconcile", "--grace", "0s").exit()).isZero();
    assertInvariants(31, 10, 1);
    assertInvariants(32, 5, 1);
    assertThat(live(32).definition().status()).isEqualTo(CouponStatus.PAUSED);
    assertThat(live(31).definition().status()).isEqualTo(CouponStatus.ACTIVE);
    assertThat(cli.redeemAny(31, "u-1", "SO-99"))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.USER_LIMIT_REACHED));
    assertThat(cli.redeemAny(31, "u-2", "SO-2")).isInstanceOf(RedeemOutcome.Replayed.class);
    RedeemOutcome again =
        functions.redeem(new RedeemRequest(31, "key-31-SO-4-again", "u-4", "SO-4", 5000), 1).join();
    assertThat(again).isInstanceOf(RedeemOutcome.Accepted.class);
    assertThat(((RedeemOutcome.Accepted) again).redemption().redemptionId().toString())
        .isEqualTo("31.SO-4.2");
  }

  @Test
  void reconcileApply_duringLiveRedemptions_fencesBrieflyLosesNoneAndEndsConsistent()
      throws Exception {
    long total = 50_000;
    givenStoredRedemptions(41, total, 20);
    redis.commands().hincrby(functions.keys(41, 1).meta(), "stock", 7).toCompletableFuture().join();
    int buckets = live(41).buckets();
    Set<String> accepted = ConcurrentHashMap.newKeySet();
    for (int i = 1; i <= 20; i++) {
      accepted.add("41.SO-" + i + ".1");
    }
    AtomicInteger appliesDone = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger fenced = new AtomicInteger();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    ExecutorService traffic = Executors.newFixedThreadPool(4);
    List<Future<?>> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      threads.add(
          traffic.submit(
              () -> {
                for (int i = 0; appliesDone.get() < 3 && System.nanoTime() < deadline; i++) {
                  String order = "T" + thread + "-" + i;
                  RedeemRequest request =
                      new RedeemRequest(41, "k-" + order, "user-" + order, order, 5000);
                  RedeemOutcome outcome = functions.redeem(request, buckets).join();
                  // While --apply repairs the coupon it is fenced: it decides nothing, and the
                  // client retries (a gateway answers 503 with Retry-After).
                  while (outcome instanceof RedeemOutcome.Fenced && System.nanoTime() < deadline) {
                    fenced.incrementAndGet();
                    sleepUpTo(2);
                    outcome = functions.redeem(request, buckets).join();
                  }
                  if (outcome instanceof RedeemOutcome.Accepted a) {
                    accepted.add(a.redemption().redemptionId().toString());
                  } else {
                    refused.incrementAndGet();
                  }
                  sleepUpTo(6);
                }
                return null;
              }));
    }

    List<Result> duringTraffic = new ArrayList<>();
    while (threads.stream().anyMatch(f -> !f.isDone())) {
      duringTraffic.add(cli.run("reconcile", "--coupon", "41", "--apply"));
      appliesDone.incrementAndGet();
    }
    for (Future<?> f : threads) {
      f.get(60, TimeUnit.SECONDS);
    }
    traffic.shutdown();

    assertThat(duringTraffic).as("runs while traffic flowed").hasSizeGreaterThanOrEqualTo(3);
    for (Result r : duringTraffic) {
      assertThat(r.exit()).as(r.toString()).isZero();
    }
    assertThat(duringTraffic.get(0).out())
        .contains("drift     Redis counter wrong")
        .contains("repair    fenced coupon 41 and repaired it from MySQL")
        .contains("repair    corrected stock/accepted/reversed from ")
        .contains("  now       consistent");
    Result drain = cli.run("reconcile", "--coupon", "41", "--apply", "--grace", "0s");
    assertThat(drain.exit()).as(drain.toString()).isZero();
    Result after = cli.run("reconcile", "--coupon", "41", "--grace", "0s");
    assertThat(after.exit()).as(after.toString()).isZero();
    assertThat(refused).hasValue(0);
    assertThat(accepted).hasSizeGreaterThan(20 + 4);
    assertThat(redemptionIds(41)).isEqualTo(accepted);
    assertInvariants(41, total, 1);
  }

  @Test
  void reconcileApply_oversoldCoupon_repairsToStockZeroSaysByHowMuchAndThenIsConsistent() {
    givenStoredRedemptions(51, 10, 10);
    for (int i = 11; i <= 13; i++) {
      plantAcceptedRow(51, i);
    }

    Result dry = cli.run("reconcile", "--coupon", "51", "--grace", "0s");

    assertThat(dry.exit()).as(dry.toString()).isEqualTo(3);
    assertThat(dry.out())
        .isEqualTo(
            """
            coupon 51 "coupon 51": DRIFT
              redis     stock 0, accepted 10, reversed 0; outbox: 0 pending
              mysql     total 10, 13 accepted rows, 0 reversed rows
              expected  stock 0, accepted 13, reversed 0 (MySQL rows + outbox)
              drift     redemption missing in Redis: 3 redemptions are in MySQL but has no record\
             in Redis: 51.SO-11.1, 51.SO-12.1, 51.SO-13.1
              drift     Redis counter wrong: Redis has stock/accepted/reversed 0/10/0, MySQL and\
             the outbox say 0/13/0
              note      oversold by 3: 13 redemptions are accepted for a total stock of 10; the\
             coupon stays live with stock 0
            checked 1 coupon: 0 consistent, 1 drifting
            """);

    assertThat(cli.run("reconcile", "--coupon", "51", "--grace", "0s", "--json").out())
        .contains(
            "\"kind\":\"COUNTER_WRONG\",\"cause\":\"Redis counter wrong\",\"detail\":\"Redis"
                + " has stock/accepted/reversed 0/10/0, MySQL and the outbox say 0/13/0\","
                + "\"redisCounters\":{\"stock\":0,\"accepted\":10,\"reversed\":0},"
                + "\"truth\":{\"stock\":0,\"accepted\":13,\"reversed\":0}}")
        .contains("\"kind\":\"RECORD_MISSING_IN_REDIS\",\"cause\":\"redemption missing in Redis\"")
        .contains("\"redemptionIds\":[\"51.SO-11.1\",\"51.SO-12.1\",\"51.SO-13.1\"]");

    Result apply = cli.run("reconcile", "--coupon", "51", "--apply", "--grace", "0s");

    assertThat(apply.exit()).as(apply.toString()).isZero();
    assertThat(apply.out())
        .contains(
            """
              repair    fenced coupon 51 and repaired it from MySQL
              repair    restored 3 redemption records from MySQL into Redis
              repair    put back 3 idempotency keys and set 3 users' counts
              repair    corrected stock/accepted/reversed from 0/10/0 to 0/13/0
              repair    oversold by 3: 13 redemptions are accepted for a total stock of 10; live\
             with stock 0, so nothing more is sold
              now       consistent
            """)
        .endsWith("checked 1 coupon: 0 consistent, 1 repaired, 0 still drifting\n");
    Result again = cli.run("reconcile", "--coupon", "51", "--grace", "0s");
    assertThat(again.exit()).as(again.toString()).isZero();
    assertThat(again.out())
        .startsWith("coupon 51 \"coupon 51\": CONSISTENT\n")
        .contains("  note      oversold by 3: ")
        .doesNotContain("  drift ")
        .endsWith("checked 1 coupon: 1 consistent, 0 drifting\n");
    assertThat(cli.run("reconcile", "--coupon", "51", "--json").out())
        .contains(
            "\"drifts\":[],\"notes\":[{\"kind\":\"OVERSOLD\",\"cause\":\"oversold\","
                + "\"detail\":\"13 redemptions are accepted for a total stock of 10; the coupon"
                + " stays live with stock 0\",\"by\":3,\"accepted\":13,\"total\":10}]");
    assertThat(cli.run("reconcile", "--coupon", "51", "--apply").exit()).isZero();
    LiveCoupon live = live(51);
    assertThat(live.stock()).isZero();
    assertThat(live.accepted()).isEqualTo(13);
    assertThat(cli.redeemAny(51, "u-99", "SO-99"))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.SOLD_OUT));
    assertThat(cli.redeemAny(51, "u-12", "SO-12")).isInstanceOf(RedeemOutcome.Replayed.class);
    assertThat(cli.redeemAny(51, "u-12", "SO-98"))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.USER_LIMIT_REACHED));
  }

  @Test
  void reconcile_fencedCoupon_dryRunReportsItAndApplyRepairsWhatRedisLost() {
    givenStoredRedemptions(61, 10, 3);
    // As a Redis restarted from an older AOF leaves it: the last accept forgotten, and fenced.
    CouponKeys k = functions.keys(61, 1);
    RedisFixture.join(redis.commands().hdel(k.orders("SO-3"), "SO-3"));
    RedisFixture.join(redis.commands().hdel(k.users("u-3"), "u-3"));
    RedisFixture.join(redis.commands().hdel(k.idempotency("key-61-SO-3"), "key-61-SO-3"));
    setRedisField(61, "stock", "8");
    setRedisField(61, "accepted", "2");
    assertThat(functions.fence(61).join()).isTrue();
    assertThat(cli.redeemAny(61, "u-9", "SO-9")).isEqualTo(new RedeemOutcome.Fenced());

    Result dry = cli.run("reconcile", "--grace", "0s");

    assertThat(dry.exit()).as(dry.toString()).isEqualTo(3);
    assertThat(dry.out())
        .isEqualTo(
            """
            coupon 61 "coupon 61": DRIFT
              redis     stock 8, accepted 2, reversed 0; outbox: 0 pending
              mysql     total 10, 3 accepted rows, 0 reversed rows
              expected  stock 7, accepted 3, reversed 0 (MySQL rows + outbox)
              drift     fenced: Redis restarted or failed over since the coupon was last verified\
             against MySQL; it decides nothing until repaired from MySQL
              drift     redemption missing in Redis: 1 redemption is in MySQL but has no record in\
             Redis: 61.SO-3.1
              drift     Redis counter wrong: Redis has stock/accepted/reversed 8/2/0, MySQL and the\
             outbox say 7/3/0
            checked 1 coupon: 0 consistent, 1 drifting
            """);
    assertThat(cli.run("reconcile", "--json").out()).contains("\"kind\":\"FENCED\"");
    assertThat(cli.redeemAny(61, "u-9", "SO-9")).isEqualTo(new RedeemOutcome.Fenced());

    Result apply = cli.run("reconcile", "--apply", "--grace", "0s");

    assertThat(apply.exit()).as(apply.toString()).isZero();
    assertThat(apply.out())
        .contains(
            """
              repair    repaired coupon 61 from MySQL (it was fenced)
              repair    restored 1 redemption record from MySQL into Redis
              repair    put back 1 idempotency key and set 1 user's count
              repair    corrected stock/accepted/reversed from 8/2/0 to 7/3/0
              now       consistent
            """)
        .endsWith("checked 1 coupon: 0 consistent, 1 repaired, 0 still drifting\n");
    Result after = cli.run("reconcile", "--grace", "0s");
    assertThat(after.out()).isEqualTo("checked 1 coupon: 1 consistent, 0 drifting\n");
    assertThat(after.exit()).isZero();
    assertInvariants(61, 10, 1);
    assertThat(cli.redeemAny(61, "u-3", "SO-3")).isInstanceOf(RedeemOutcome.Replayed.class);
    assertThat(cli.redeemAny(61, "u-3", "SO-8"))
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.USER_LIMIT_REACHED));
    assertThat(cli.redeemAny(61, "u-9", "SO-9")).isInstanceOf(RedeemOutcome.Accepted.class);
  }

  @Test
  void reconcileApply_readsThatNeverSettle_refusesAndChangesNothing() {
    givenStoredRedemptions(71, 10, 2);
    setRedisField(71, "stock", "500");
    CouponReader real = CouponReader.of(db.database(), functions, Duration.ofSeconds(10));
    AtomicInteger reads = new AtomicInteger();
    // Something moves the counter before every read, as a busy coupon's traffic would if it
    // changed the drift itself: no two reads in a row agree.
    CouponReader moving =
        (id, deep) -> {
          reads.incrementAndGet();
          RedisFixture.join(redis.commands().hincrby(functions.keys(71, 1).meta(), "stock", 1));
          return real.read(id, deep);
        };
    Reconciler reconciler =
        new Reconciler(db.database(), functions, cli.writer(), Duration.ofSeconds(10), moving);

    Repair repair = reconciler.repair(71, false);

    assertThat(repair.refused()).isTrue();
    assertThat(repair.done()).containsExactly(new Done.Refused(10));
    assertThat(repair.before().findings()).last().isEqualTo(new Finding.Unsettled(10));
    assertThat(repair.before().findings().get(0)).isInstanceOf(Finding.CounterWrong.class);
    assertThat(reads).hasValue(10);
    CouponInspection live = functions.inspect(71).join().orElseThrow();
    assertThat(live.fenced()).as("refused: not even fenced").isFalse();
    assertThat(live.coupon().stock()).isEqualTo(510);
    assertThat(db.queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 71")).isEqualTo(2);

    Result settled = cli.run("reconcile", "--coupon", "71", "--apply");
    assertThat(settled.exit()).as(settled.toString()).isZero();
    assertThat(settled.out())
        .contains("repair    corrected stock/accepted/reversed from 510/2/0 to 8/2/0");
  }

  /** An ACCEPTED row of order SO-n that Redis never heard of, as a Redis that lost it leaves. */
  private void plantAcceptedRow(long coupon, int n) {
    db.execute(
        "INSERT INTO redemption (redemption_id, coupon_id, idempotency_key, user_id, order_id,"
            + " order_amount_cents, discount_cents, status, accepted_at, outbox_id) VALUES ('"
            + coupon
            + ".SO-"
            + n
            + ".1', "
            + coupon
            + ", 'key-"
            + coupon
            + "-SO-"
            + n
            + "', 'u-"
            + n
            + "', 'SO-"
            + n
            + "', 5000, 500, 'ACCEPTED', UTC_TIMESTAMP(3), '1-"
            + n
            + "')");
  }

  private void givenStoredRedemptions(long coupon, long stock, int count) {
    assertThat(cli.create(coupon, stock, 1).exit()).isZero();
    List<RedeemOutcome.Accepted> accepted = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      accepted.add(cli.redeem(coupon, "u-" + i, "SO-" + i));
    }
    cli.store(accepted);
  }

  private void setRedisField(long coupon, String field, String value) {
    redis
        .commands()
        .hset(functions.keys(coupon, 1).meta(), field, value)
        .toCompletableFuture()
        .join();
  }

  private LiveCoupon live(long coupon) {
    return functions.coupon(coupon).join().orElseThrow();
  }

  /** The contract's invariants at rest, in Redis and in MySQL, exactly. */
  private void assertInvariants(long coupon, long total, int perUser) {
    CouponInspection inspection = functions.inspect(coupon).join().orElseThrow();
    long acceptedRows =
        db.queryLong(
            "SELECT COUNT(*) FROM redemption WHERE coupon_id = "
                + coupon
                + " AND status = 'ACCEPTED'");
    long reversedRows =
        db.queryLong(
            "SELECT COUNT(*) FROM redemption WHERE coupon_id = "
                + coupon
                + " AND status = 'REVERSED'");
    assertThat(inspection.pending()).as("outbox of " + coupon).isZero();
    assertThat(db.queryLong("SELECT total_stock FROM coupon WHERE coupon_id = " + coupon))
        .isEqualTo(total);
    assertThat(inspection.coupon().definition().totalStock()).isEqualTo(total);
    assertThat(inspection.coupon().stock())
        .as("remaining stock of " + coupon)
        .isEqualTo(total - acceptedRows)
        .isNotNegative();
    assertThat(inspection.coupon().accepted()).isEqualTo(acceptedRows);
    assertThat(inspection.coupon().reversed()).isEqualTo(reversedRows);
    assertThat(
            db.queryLong(
                "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) n FROM redemption WHERE coupon_id = "
                    + coupon
                    + " AND status = 'ACCEPTED' GROUP BY user_id) per_user"))
        .isLessThanOrEqualTo(perUser);
    assertThat(
            db.queryLong(
                "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) n FROM redemption WHERE coupon_id = "
                    + coupon
                    + " AND status = 'ACCEPTED' GROUP BY order_id) per_order"))
        .isLessThanOrEqualTo(1);
  }

  private Set<String> redemptionIds(long coupon) throws Exception {
    Set<String> ids = new HashSet<>();
    try (Connection c = db.database().dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT redemption_id FROM redemption WHERE coupon_id = " + coupon)) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  private static void sleepUpTo(int millis) {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextInt(millis + 1));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
