package io.couponflow.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.CouponEvents;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.Rejection;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.ops.OpsCli.Result;
import io.couponflow.sql.DeadLetterMapper;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.RedisSnapshot;
import io.couponflow.testkit.TestDatabase;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CouponCommandsIT {
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;
  private static OpsCli cli;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(CouponCommandsIT.class);
    redis = RedisFixture.create(CouponCommandsIT.class);
    functions = redis.functions();
    cli = new OpsCli(db, redis);
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    db.close();
  }

  private static LiveCoupon live(long id) {
    return functions.coupon(id).join().orElseThrow();
  }

  private static CouponInspection inspect(long id) {
    return functions.inspect(id).join().orElseThrow();
  }

  private static void assertRefused(Result r, int exit, String message) {
    assertThat(r.exit()).as(r.toString()).isEqualTo(exit);
    assertThat(r.err()).as(r.toString()).startsWith("coupons: ").contains(message);
    assertThat(r.err().lines()).as(r.toString()).hasSize(1);
  }

  @Test
  void dbMigrate_schemaUpToDate_appliesNothing() {
    Result r = cli.run("db", "migrate");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("(?m)^applied\\s+0$").containsPattern("(?m)^to\\s+2$");
  }

  @Test
  void create_validDefinition_isLiveInRedisAtOnce() {
    Result r = cli.create(1, 100, 2);

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("(?m)^redis\\s+CREATED$");
    LiveCoupon live = live(1);
    assertThat(live.stock()).isEqualTo(100);
    assertThat(live.definition().status()).isEqualTo(CouponStatus.ACTIVE);
    assertThat(cli.redeemAny(1, "u-1", "SO-1")).isInstanceOf(RedeemOutcome.Accepted.class);
  }

  @Test
  void create_existingId_refusesAndKeepsTheFirstDefinition() {
    assertThat(cli.create(2, 10, 1).exit()).isZero();

    assertRefused(cli.create(2, 50, 1), 1, "coupon 2 already exists");
    assertThat(db.queryLong("SELECT total_stock FROM coupon WHERE coupon_id = 2")).isEqualTo(10);
    assertThat(live(2).definition().totalStock()).isEqualTo(10);
  }

  @Test
  void create_badArguments_exitTwoWithOneLineReason() {
    String[] base = {
      "coupon",
      "create",
      "--id",
      "3",
      "--name",
      "bad",
      "--per-user",
      "1",
      "--threshold-cents",
      "0",
      "--discount-cents",
      "100",
      "--starts-at",
      "2026-01-01T00:00:00Z"
    };
    assertRefused(
        cli.run(concat(base, "--stock", "-1", "--ends-at", "2026-02-01T00:00:00Z")),
        2,
        "totalStock: -1 (expected: 0..9007199254740991)");
    assertRefused(
        cli.run(concat(base, "--stock", "5", "--ends-at", "tomorrow")),
        2,
        "--ends-at: 'tomorrow' is not an ISO-8601 UTC instant");
    assertRefused(
        cli.run(concat(base, "--stock", "5", "--ends-at", "2025-01-01T00:00:00Z")),
        2,
        "endsAt: 2025-01-01T00:00:00Z (expected: after startsAt");
    assertRefused(
        cli.run(concat(base, "--stock", "five", "--ends-at", "2026-02-01T00:00:00Z")),
        2,
        "Invalid value for option '--stock': 'five' is not a long");
    assertRefused(
        cli.run(concat(base, "--stock", "9007199254740992", "--ends-at", "2026-02-01T00:00:00Z")),
        2,
        "totalStock: 9007199254740992 (expected: 0..9007199254740991)");
    assertRefused(cli.run(base), 2, "Missing required option");
    assertThat(db.queryLong("SELECT COUNT(*) FROM coupon WHERE coupon_id = 3")).isZero();
  }

  @Test
  void show_liveCoupon_printsDefinitionCountersOutboxAndWhetherTheyAgree() {
    cli.create(4, 10, 2);
    RedeemOutcome.Accepted stored = cli.redeem(4, "u-1", "SO-1");
    cli.redeem(4, "u-2", "SO-2");
    cli.store(List.of(stored));

    Result r = cli.run("coupon", "show", "4");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .containsPattern("(?m)^totalStock\\s+10$")
        .containsPattern("(?m)^remainingStock\\s+8$")
        .containsPattern("(?m)^accepted\\s+2$")
        .containsPattern("(?m)^reversed\\s+0$")
        .containsPattern("(?m)^outboxPending\\s+1$")
        .containsPattern("(?m)^mysqlAcceptedRows\\s+1$")
        .containsPattern("(?m)^agree\\s+yes$");
    assertThat(cli.run("coupon", "show", "4", "--json").out())
        .contains("\"remainingStock\":8,")
        .contains("\"agree\":true,\"drifts\":[]");

    redis.commands().hset(functions.keys(4, 1).meta(), "stock", "5").toCompletableFuture().join();
    Result drifted = cli.run("coupon", "show", "4");
    assertThat(drifted.out())
        .containsPattern("(?m)^agree\\s+no$")
        .contains(
            "drift: Redis counter wrong: Redis has stock/accepted/reversed 5/2/0,"
                + " MySQL and the outbox say 8/2/0");
  }

  @Test
  void show_unknownOrMalformedCoupon_refuses() {
    assertRefused(cli.run("coupon", "show", "999"), 1, "coupon 999 does not exist");
    assertRefused(cli.run("coupon", "show", "abc"), 2, "'abc' is not a long");
  }

  @Test
  void show_rowThatIsNoValidCoupon_refusesNamingTheCouponAndTheField() {
    cli.create(14, 10, 1);
    db.execute("UPDATE coupon SET name = ' ' WHERE coupon_id = 14");
    try {
      assertRefused(
          cli.run("coupon", "show", "14"),
          1,
          "coupon 14: its definition in MySQL is invalid: name: must be 1..200 characters and"
              + " not blank");
      assertRefused(cli.run("coupon", "pause", "14"), 1, "coupon 14: its definition in MySQL");
    } finally {
      db.execute("UPDATE coupon SET name = 'coupon 14' WHERE coupon_id = 14");
    }
  }

  @Test
  void list_printsCouponsWithRemainingStockFromRedis() {
    cli.create(5, 10, 1);
    cli.redeem(5, "u-1", "SO-1");

    Result r = cli.run("coupon", "list", "--json");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains(
            "{\"id\":5,\"name\":\"coupon 5\",\"status\":\"ACTIVE\",\"total\":10,\"remaining\":9,"
                + "\"accepted\":1,");
    assertThat(cli.run("coupon", "list").out())
        .startsWith("ID  NAME")
        .containsPattern("(?m)^5\\s+coupon 5\\s+ACTIVE\\s+10\\s+9\\s+1\\s");
    assertRefused(cli.run("coupon", "list", "--limit", "0"), 2, "--limit: 0 (expected: 1..10000)");
  }

  @Test
  void pauseThenResume_changeMySqlThenRedisAndTellTheGateways() throws Exception {
    cli.create(6, 10, 1);
    BlockingQueue<String> events = new LinkedBlockingQueue<>();
    try (StatefulRedisPubSubConnection<String, String> sub = redis.connectPubSub()) {
      sub.addListener(
          new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, String message) {
              events.add(message);
            }
          });
      sub.sync().subscribe(CouponEvents.channel(redis.prefix()));

      Result paused = cli.run("coupon", "pause", "6");

      assertThat(paused.exit()).as(paused.toString()).isZero();
      assertThat(paused.out())
          .containsPattern("(?m)^status\\s+PAUSED$")
          .containsPattern("(?m)^version\\s+2$")
          .containsPattern("(?m)^redis\\s+PAUSED$");
      assertThat(
              db.queryLong("SELECT version FROM coupon WHERE coupon_id = 6 AND status = 'PAUSED'"))
          .isEqualTo(2);
      assertThat(live(6).definition().status()).isEqualTo(CouponStatus.PAUSED);
      assertThat(live(6).definition().version()).isEqualTo(2);
      assertThat(events.poll(5, TimeUnit.SECONDS)).isEqualTo("changed 6");
      assertThat(cli.redeemAny(6, "u-1", "SO-1"))
          .isEqualTo(new RedeemOutcome.Rejected(Rejection.COUPON_NOT_ACTIVE));

      Result again = cli.run("coupon", "pause", "6");
      assertThat(again.out())
          .containsPattern("(?m)^version\\s+2$")
          .containsPattern("(?m)^changed\\s+false$");

      Result resumed = cli.run("coupon", "resume", "6");
      assertThat(resumed.exit()).as(resumed.toString()).isZero();
      assertThat(live(6).definition().status()).isEqualTo(CouponStatus.ACTIVE);
      assertThat(live(6).definition().version()).isEqualTo(3);
      assertThat(cli.redeemAny(6, "u-1", "SO-1")).isInstanceOf(RedeemOutcome.Accepted.class);
    }
    assertRefused(cli.run("coupon", "pause", "999"), 1, "coupon 999 does not exist");
    assertRefused(cli.run("coupon", "resume"), 2, "Missing required parameter: 'N'");
  }

  @Test
  void pauseResumeAndCreate_redisUnreachable_refuseAndChangeNothingInMySql() {
    cli.create(43, 5, 1);
    String row = db.queryRow("SELECT * FROM coupon WHERE coupon_id = 43");
    OpsCli noRedis = new OpsCli(db, redis, "redis://127.0.0.1:1");

    assertRefused(noRedis.run("coupon", "pause", "43"), 1, "Redis at ");
    assertRefused(noRedis.run("coupon", "resume", "43"), 1, "Redis at ");
    assertRefused(noRedis.create(43, 5, 1), 1, "Redis at ");
    assertRefused(noRedis.create(44, 5, 1), 1, "Redis at ");

    assertThat(db.queryRow("SELECT * FROM coupon WHERE coupon_id = 43")).isEqualTo(row);
    assertThat(db.queryLong("SELECT COUNT(*) FROM coupon WHERE coupon_id = 44")).isZero();
  }

  @Test
  void restock_liveCoupon_addsToRemainingStockWithoutResettingRedemptions() {
    cli.create(7, 10, 5);
    for (int i = 1; i <= 3; i++) {
      cli.redeem(7, "u-1", "SO-" + i);
    }

    Result r = cli.run("coupon", "restock", "7", "--add", "5");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .containsPattern("(?m)^totalStock\\s+15$")
        .containsPattern("(?m)^remainingStock\\s+12$")
        .containsPattern("(?m)^redis\\s+UPDATED \\(\\+5\\)$");
    assertThat(db.queryLong("SELECT total_stock FROM coupon WHERE coupon_id = 7")).isEqualTo(15);
    LiveCoupon live = live(7);
    assertThat(live.definition().totalStock()).isEqualTo(15);
    assertThat(live.stock()).isEqualTo(12);
    assertThat(live.accepted()).isEqualTo(3);
    assertRefused(cli.run("coupon", "restock", "7", "--add", "0"), 2, "--add: 0 (expected: 1..");
    assertRefused(cli.run("coupon", "restock", "7"), 2, "Missing required option: '--add=K'");
    assertRefused(
        cli.run("coupon", "restock", "999", "--add", "1"), 1, "coupon 999 does not exist");
    assertThat(live(7).stock()).isEqualTo(12);
  }

  @Test
  void restock_pastTheLargestStockRedisHolds_leavesMySqlAndRedisAsTheyWere() {
    cli.create(12, Coupon.MAX_NUMBER - 10, 1);
    cli.redeem(12, "u-1", "SO-1");
    String row = db.queryRow("SELECT * FROM coupon WHERE coupon_id = 12");
    RedisSnapshot redisBefore = redis.snapshot();

    Result r = cli.run("coupon", "restock", "12", "--add", "11");

    assertRefused(
        r,
        1,
        "coupon 12: total stock 9007199254740981 + 11 would pass 9007199254740991, the largest"
            + " stock Redis holds exactly; nothing changed");
    assertThat(db.queryRow("SELECT * FROM coupon WHERE coupon_id = 12")).isEqualTo(row);
    assertThat(redisBefore.changesTo(redis.snapshot())).isEmpty();
    assertThat(cli.run("coupon", "show", "12").exit()).isZero();
    Result upToTheBound = cli.run("coupon", "restock", "12", "--add", "10");
    assertThat(upToTheBound.exit()).as(upToTheBound.toString()).isZero();
    assertThat(live(12).definition().totalStock()).isEqualTo(Coupon.MAX_NUMBER);
    assertThat(live(12).stock()).isEqualTo(Coupon.MAX_NUMBER - 1);
    assertThat(cli.run("coupon", "show", "12").out()).containsPattern("(?m)^agree\\s+yes$");
  }

  @Test
  void restock_redisRefusesWritesAfterMySqlTookIt_saysSoInOneLineAndReconcileFinishesIt() {
    try (PrivateRedis server = PrivateRedis.launch();
        RedisFixture own = RedisFixture.create(server.uri(), CouponCommandsIT.class)) {
      OpsCli onOwn = new OpsCli(db, own, server.uri());
      Result created = onOwn.create(13, 10, 1);
      assertThat(created.exit()).as(created.toString()).isZero();
      RedisFixture.join(own.commands().configSet("maxmemory", "1"));

      Result r = onOwn.run("coupon", "restock", "13", "--add", "5");

      assertRefused(
          r,
          1,
          "coupon 13: MySQL now has total stock 15 (version 2), Redis not yet (OOM command not"
              + " allowed");
      assertThat(r.err())
          .endsWith(
              "): run 'coupons reconcile --coupon 13 --apply' or 'couponflow-preheat --coupon 13'"
                  + " to apply it\n");
      assertThat(db.queryLong("SELECT total_stock FROM coupon WHERE coupon_id = 13")).isEqualTo(15);
      assertThat(own.functions().coupon(13).join().orElseThrow().definition().totalStock())
          .isEqualTo(10);

      RedisFixture.join(own.commands().configSet("maxmemory", "0"));
      Result repaired = onOwn.run("reconcile", "--coupon", "13", "--apply");

      assertThat(repaired.exit()).as(repaired.toString()).isZero();
      LiveCoupon now = own.functions().coupon(13).join().orElseThrow();
      assertThat(now.definition().totalStock()).isEqualTo(15);
      assertThat(now.stock()).isEqualTo(15);
      assertThat(now.definition().version()).isEqualTo(2);
    }
  }

  @Test
  void reverse_storedRedemption_givesEverythingBackAndStoresTheReversal() {
    cli.create(8, 5, 1);
    cli.store(List.of(cli.redeem(8, "u-1", "SO-1")));

    Result r = cli.run("reverse", "8.SO-1.1", "--reason", "order cancelled");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .containsPattern("(?m)^status\\s+REVERSED$")
        .containsPattern("(?m)^replayed\\s+false$")
        .containsPattern("(?m)^mysql\\s+STORED$");
    assertThat(live(8).stock()).isEqualTo(5);
    assertThat(live(8).reversed()).isEqualTo(1);
    assertThat(inspect(8).pending()).isZero();
    assertThat(
            db.queryLong(
                "SELECT COUNT(*) FROM redemption WHERE redemption_id = '8.SO-1.1'"
                    + " AND status = 'REVERSED' AND reversal_reason = 'order cancelled'"))
        .isEqualTo(1);
    assertThat(cli.redeemAny(8, "u-1", "SO-2")).isInstanceOf(RedeemOutcome.Accepted.class);

    Result again = cli.run("reverse", "8.SO-1.1");
    assertThat(again.exit()).as(again.toString()).isZero();
    assertThat(again.out())
        .containsPattern("(?m)^replayed\\s+true$")
        .containsPattern("(?m)^mysql\\s+UNCHANGED \\(already reversed\\)$");
    assertThat(live(8).stock()).isEqualTo(4);
  }

  @Test
  void reverse_couponRedisLost_rebuildsItFromMySqlThenReverses() {
    cli.create(41, 5, 1);
    cli.store(List.of(cli.redeem(41, "u-1", "SO-1")));
    for (String key : redis.keys()) {
      if (key.contains("{41}")) {
        redis.commands().del(key).toCompletableFuture().join();
      }
    }

    Result r = cli.run("reverse", "41.SO-1.1");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out()).containsPattern("(?m)^status\\s+REVERSED$");
    assertThat(live(41).stock()).isEqualTo(5);
    assertThat(live(41).reversed()).isEqualTo(1);
  }

  @Test
  void reverse_fencedCoupon_repairsItFromMySqlThenReverses() {
    cli.create(42, 5, 1);
    cli.store(List.of(cli.redeem(42, "u-1", "SO-1")));
    RedisFixture.join(functions.fence(42));

    Result r = cli.run("reverse", "42.SO-1.1");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .containsPattern("(?m)^status\\s+REVERSED$")
        .containsPattern("(?m)^mysql\\s+STORED$");
    assertThat(inspect(42).fenced()).isFalse();
    assertThat(live(42).stock()).isEqualTo(5);
    assertThat(live(42).reversed()).isEqualTo(1);
  }

  @Test
  void reverse_acceptNotInMySqlYet_leavesBothEntriesToTheSweeper() {
    cli.create(9, 5, 1);
    cli.redeem(9, "u-1", "SO-1");

    Result r = cli.run("reverse", "9.SO-1.1", "--json");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .contains("\"status\":\"REVERSED\"")
        .contains("\"mysql\":\"PENDING (the redemption is not in MySQL yet");
    CouponInspection inspection = inspect(9);
    assertThat(inspection.pendingAccepts()).isEqualTo(1);
    assertThat(inspection.pendingReversals()).isEqualTo(1);
    cli.writer().write(functions.outboxRead(9, Duration.ZERO, 10, null).join());
    assertThat(
            db.queryLong(
                "SELECT COUNT(*) FROM redemption WHERE redemption_id = '9.SO-1.1' AND status = 'REVERSED'"))
        .isEqualTo(1);
  }

  @Test
  void reverse_badOrUnknownRedemption_refuses() {
    cli.create(10, 5, 1);
    assertRefused(cli.run("reverse", "not-an-id"), 2, "'not-an-id' is not a redemption id");
    assertRefused(cli.run("reverse", "10.SO-404.1"), 1, "redemption 10.SO-404.1 does not exist");
    assertRefused(cli.run("reverse", "999.SO-1.1"), 1, "does not exist (no coupon 999)");
    assertRefused(
        cli.run("reverse", "10.SO-1.1", "--reason", "x".repeat(257)),
        2,
        "--reason: 257 characters (expected: at most 256)");
    assertThat(live(10).stock()).isEqualTo(5);
  }

  @Test
  void outbox_listsPendingEntriesWithAgesAndDeadLetters() {
    cli.create(11, 5, 1);
    cli.redeem(11, "u-1", "SO-1");
    cli.redeem(11, "u-2", "SO-2");
    try (SqlSession session = db.database().sessions().openSession(true)) {
      session
          .getMapper(DeadLetterMapper.class)
          .insert(11, "1700000000000-0", "{t=A}", "poison row");
    }

    Result r = cli.run("outbox", "--coupon", "11");

    assertThat(r.exit()).as(r.toString()).isZero();
    assertThat(r.out())
        .containsPattern("(?m)^11\\s+\\d+-\\d+\\s+accept\\s+11\\.SO-1\\.1\\s+u-1\\s+\\d+ms$")
        .containsPattern("(?m)^11\\s+\\d+-\\d+\\s+accept\\s+11\\.SO-2\\.1\\s+u-2\\s+\\d+ms$")
        .contains("2 pending in 1 coupon, the oldest ")
        .contains("Dead letters (MySQL refused them; table dead_letter): 1")
        .containsPattern("(?m)^11\\s+1700000000000-0\\s+\\S+\\s+poison row$");
    assertThat(cli.run("outbox", "--coupon", "11", "--json").out())
        .startsWith("{\"pending\":2,")
        .contains("\"pendingAccepts\":2,\"pendingReversals\":0,")
        .contains("\"deadLetters\":1,");
    assertThat(cli.run("outbox").out()).contains("11.SO-1.1").contains("11.SO-2.1");
    assertRefused(cli.run("outbox", "--coupon", "12345"), 1, "coupon 12345 does not exist");
    assertRefused(cli.run("outbox", "--limit", "0"), 2, "--limit: 0 (expected: 1..10000)");
  }

  @Test
  void reconcile_unknownCouponOrBadOptions_refuses() {
    assertRefused(cli.run("reconcile", "--coupon", "999"), 1, "coupon 999 does not exist");
    assertRefused(
        cli.run("reconcile", "--coupon", "0"), 2, "--coupon: 0 (expected: a positive coupon id)");
    assertRefused(
        cli.run("reconcile", "--grace", "soon"),
        2,
        "Invalid value for option '--grace': 'soon' is not a duration");
    assertRefused(cli.run("reconcile", "--aply"), 2, "Unknown option: '--aply'");
  }

  @Test
  void everyCommand_explainsItselfWithHelp() {
    List<List<String>> commands =
        List.of(
            List.of(),
            List.of("db"),
            List.of("db", "migrate"),
            List.of("coupon"),
            List.of("coupon", "create"),
            List.of("coupon", "show"),
            List.of("coupon", "list"),
            List.of("coupon", "pause"),
            List.of("coupon", "resume"),
            List.of("coupon", "restock"),
            List.of("reverse"),
            List.of("reconcile"),
            List.of("outbox"));
    for (List<String> command : commands) {
      Result r = cli.run(concat(command.toArray(String[]::new), "--help"));
      assertThat(r.exit()).as(command + ": " + r).isZero();
      assertThat(r.out())
          .as(command.toString())
          .startsWith("Usage: coupons" + (command.isEmpty() ? "" : " " + String.join(" ", command)))
          .contains("-h, --help");
    }
    assertRefused(cli.run(), 2, "a command is required");
    assertRefused(cli.run("coupon"), 2, "a coupon command is required");
    assertRefused(cli.run("frobnicate"), 2, "Unmatched argument at index 0: 'frobnicate'");
  }

  private static String[] concat(String[] head, String... tail) {
    String[] all = java.util.Arrays.copyOf(head, head.length + tail.length);
    System.arraycopy(tail, 0, all, head.length, tail.length);
    return all;
  }
}
