package io.couponflow.gateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.lua.CouponInspection;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestSettings;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Redis that comes back with less than it acknowledged, under a sale's load, against a real
 * gateway, a private redis-server and the shared MariaDB: restarted from a copy of its AOF taken
 * hundreds of redemptions earlier (what {@code appendfsync everysec} loses on a power cut, a
 * thousandfold), restarted empty, and restarted with only some of a coupon's keys. In each case the
 * coupon is fenced until repaired from MySQL, and afterwards: no oversell, no user over the limit,
 * no order redeemed twice, every old key replays its first answer, every 201 has exactly one row
 * and no row lacks a 201, and Redis and MySQL agree.
 */
class RedisLossIT {
  private static final Logger log = LoggerFactory.getLogger(RedisLossIT.class);
  private static final long STOCK = 1000;
  private static final Duration LONG = Duration.ofSeconds(60);

  private static GatewayFixture gateway(PrivateRedis redis) {
    return GatewayFixture.builder(RedisLossIT.class)
        .redis(redis.uri())
        .env(Map.of("COUPON_REPAIR_SETTLE", "500ms", "COUPON_REPAIR_WAIT", "2s"))
        .start();
  }

  @Test
  void restartFromAnOlderAof_underLoad_nothingIsSoldOrRedeemedTwice() throws Exception {
    try (PrivateRedis redis = PrivateRedis.launch(true, "--appendfsync", "everysec");
        GatewayFixture fx = gateway(redis);
        Sale sale = new Sale(fx.api("/"), 1)) {
      fx.createCoupon(1, STOCK, 1, 0, 100);
      sale.start(16);
      sale.awaitAccepted(300, LONG);
      Path copy = redis.copyData(TestSettings.workDir().resolve("aof-copy-" + redis.port()));
      long atCopy = sale.count(s -> s == 201);
      sale.awaitAccepted(atCopy + 300, LONG);
      List<Integer> lostWindow = acceptedAfter(sale, (int) atCopy);

      redis.kill();
      redis.replaceData(copy);
      long restartedAt = System.nanoTime();
      redis.start();

      Map<String, Long> hostile = hostileRequests(sale, lostWindow.subList(0, 20));
      sale.awaitCode("SOLD_OUT", 50, LONG);
      sale.stop();

      log.info(
          "AOF copy taken after {} accepts, Redis killed after {} more; after the restart: {}"
              + " (hostile requests: {}); first 201 {} ms after the restart",
          atCopy,
          lostWindow.size(),
          sale.summary(),
          hostile,
          firstAcceptAfter(sale, restartedAt));
      assertThat(hostile)
          .containsEntry("replayed", 20L)
          .containsEntry("ORDER_ALREADY_REDEEMED", 20L)
          .containsEntry("USER_LIMIT_REACHED", 20L);
      assertWhole(fx, 1, sale);
    }
  }

  @Test
  void restartEmpty_underLoad_theCouponComesBackWholeFromMySql() throws Exception {
    try (PrivateRedis redis = PrivateRedis.launch(false);
        GatewayFixture fx = gateway(redis);
        Sale sale = new Sale(fx.api("/"), 2)) {
      fx.createCoupon(2, STOCK, 1, 0, 100);
      sale.start(16);
      sale.awaitAccepted(400, LONG);

      redis.restart();

      List<Integer> before = sale.requests(s -> s == 201).subList(0, 20);
      Map<String, Long> hostile = hostileRequests(sale, before);
      sale.awaitCode("SOLD_OUT", 50, LONG);
      sale.stop();

      log.info("Redis restarted empty under load: {} (hostile: {})", sale.summary(), hostile);
      assertThat(hostile)
          .containsEntry("replayed", 20L)
          .containsEntry("ORDER_ALREADY_REDEEMED", 20L)
          .containsEntry("USER_LIMIT_REACHED", 20L);
      assertWhole(fx, 2, sale);
    }
  }

  @Test
  void restartWithOnlySomeOfACouponsKeys_isRepairedBeforeItDecides() throws Exception {
    try (PrivateRedis redis = PrivateRedis.launch(true);
        GatewayFixture fx = gateway(redis);
        Sale sale = new Sale(fx.api("/"), 3)) {
      fx.createCoupon(3, STOCK, 1, 0, 100);
      sale.start(16);
      sale.awaitAccepted(500, LONG);
      sale.stop();
      fx.awaitOutboxDrained();

      redis.restart();
      RedisFixture keys = fx.redis();
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptions()
          .until(() -> "PONG".equals(RedisFixture.join(keys.redis().commands().ping())));
      int deleted = 0;
      for (String key : keys.keys()) {
        if (key.contains("{3}:") && !key.endsWith(":m") && key.hashCode() % 2 == 0) {
          RedisFixture.join(keys.redis().commands().del(key));
          deleted++;
        }
      }

      Map<String, Long> hostile =
          hostileRequests(sale, sale.requests(s -> s == 201).subList(0, 40));
      try (Sale more = new Sale(fx.api("/"), 3)) {
        more.start(16);
        more.awaitCode("SOLD_OUT", 50, LONG);
        more.stop();
        log.info(
            "Restarted with {} of coupon 3's record hashes deleted: hostile {}, then {}",
            deleted,
            hostile,
            more.summary());
      }
      assertThat(deleted).isPositive();
      assertThat(hostile)
          .containsEntry("replayed", 40L)
          .containsEntry("ORDER_ALREADY_REDEEMED", 40L)
          .containsEntry("USER_LIMIT_REACHED", 40L);
      assertRowsAndRedisAgree(fx, 3);
    }
  }

  /** The requests answered 201 after the first {@code skip} accepts, in order. */
  static List<Integer> acceptedAfter(Sale sale, int skip) {
    List<Integer> accepted = sale.requests(s -> s == 201);
    return new ArrayList<>(accepted.subList(skip, accepted.size()));
  }

  /**
   * For each accepted request: its retry (must replay the same body), its order under a new key and
   * user (must be ORDER_ALREADY_REDEEMED) and its user with a new order (must be
   * USER_LIMIT_REACHED). Returns how many answers were each.
   */
  static Map<String, Long> hostileRequests(Sale sale, List<Integer> requests) {
    Map<String, Long> seen = new HashMap<>();
    Map<Integer, Sale.Answer> answers = sale.answers();
    for (int i : requests) {
      Sale.Answer first = answers.get(i);
      Sale.Answer retry = sale.sendUntilDecided("k-" + i, "u-" + i, "SO-" + i);
      if (retry.status() == 201 && retry.replayed() && retry.body().equals(first.body())) {
        seen.merge("replayed", 1L, Long::sum);
      } else {
        seen.merge("retry " + retry.status() + " " + retry.body(), 1L, Long::sum);
      }
      tally(seen, sale.sendUntilDecided("order-k-" + i, "order-u-" + i, "SO-" + i));
      tally(seen, sale.sendUntilDecided("user-k-" + i, "u-" + i, "user-SO-" + i));
    }
    return seen;
  }

  private static void tally(Map<String, Long> seen, Sale.Answer answer) {
    for (String code : List.of("ORDER_ALREADY_REDEEMED", "USER_LIMIT_REACHED")) {
      if (answer.status() == 409 && answer.code(code)) {
        seen.merge(code, 1L, Long::sum);
        return;
      }
    }
    seen.merge(answer.status() + " " + answer.body(), 1L, Long::sum);
  }

  static long firstAcceptAfter(Sale sale, long nanos) {
    return sale.answers().values().stream()
        .filter(a -> a.status() == 201 && a.atNanos() > nanos)
        .mapToLong(a -> Duration.ofNanos(a.atNanos() - nanos).toMillis())
        .min()
        .orElse(-1);
  }

  /**
   * The sale's invariants at rest: exactly the stock was sold, each 201 has its row (with its key)
   * and every row a 201 or a lost answer, no user or order holds two, and Redis agrees.
   */
  static void assertWhole(GatewayFixture fx, long couponId, Sale sale) throws Exception {
    Map<String, String> rows = assertRowsAndRedisAgree(fx, couponId);
    assertThat(rows).hasSize((int) STOCK);
    Set<String> answered = new HashSet<>();
    Set<String> mayExist = new HashSet<>();
    sale.answers()
        .forEach(
            (i, a) -> {
              if (a.status() == 201) {
                answered.add(a.redemptionId());
                assertThat(rows).containsEntry(a.redemptionId(), "k-" + i);
              } else if (a.status() == 0) {
                mayExist.add(couponId + ".SO-" + i + ".1");
              }
            });
    Set<String> unexplained = new HashSet<>(rows.keySet());
    unexplained.removeAll(answered);
    unexplained.removeAll(mayExist);
    assertThat(unexplained).as("rows without a 201").isEmpty();
  }

  /**
   * Waits for the outbox to drain, then checks MySQL against itself and Redis; returns the accepted
   * rows, redemption id to key.
   */
  static Map<String, String> assertRowsAndRedisAgree(GatewayFixture fx, long couponId)
      throws Exception {
    fx.awaitOutboxDrained();
    Map<String, String> rows = new HashMap<>();
    try (Connection c = fx.db().database().dataSource().getConnection();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT redemption_id, idempotency_key FROM redemption WHERE status = 'ACCEPTED'"
                  + " AND coupon_id = "
                  + couponId)) {
        while (rs.next()) {
          rows.put(rs.getString(1), rs.getString(2));
        }
      }
      for (String column : List.of("user_id", "order_id")) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT "
                    + column
                    + ", COUNT(*) FROM redemption WHERE status = 'ACCEPTED' AND coupon_id = "
                    + couponId
                    + " GROUP BY "
                    + column
                    + " HAVING COUNT(*) > 1")) {
          assertThat(rs.next()).as("a " + column + " with two accepted redemptions").isFalse();
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM dead_letter")) {
        rs.next();
        assertThat(rs.getLong(1)).as("dead letters").isZero();
      }
    }
    assertThat((long) rows.size()).as("accepted rows").isLessThanOrEqualTo(STOCK);
    CouponInspection redis =
        RedisFixture.join(fx.redis().functions().inspect(couponId)).orElseThrow();
    assertThat(redis.coupon().accepted()).isEqualTo(rows.size());
    assertThat(redis.coupon().stock()).isEqualTo(STOCK - rows.size());
    assertThat(redis.pending()).isZero();
    return rows;
  }
}
