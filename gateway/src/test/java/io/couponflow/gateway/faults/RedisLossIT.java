package io.couponflow.gateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
      List<Integer> lostWindow = SaleChecks.acceptedAfter(sale, (int) atCopy);

      redis.kill();
      redis.replaceData(copy);
      long restartedAt = System.nanoTime();
      redis.start();

      Map<String, Long> hostile = SaleChecks.hostileRequests(sale, lostWindow.subList(0, 20));
      sale.awaitCode("SOLD_OUT", 50, LONG);
      sale.stop();

      log.info(
          "AOF copy taken after {} accepts, Redis killed after {} more; after the restart: {}"
              + " (hostile requests: {}); first 201 {} ms after the restart",
          atCopy,
          lostWindow.size(),
          sale.summary(),
          hostile,
          SaleChecks.firstAcceptAfter(sale, restartedAt));
      assertThat(hostile)
          .containsEntry("replayed", 20L)
          .containsEntry("ORDER_ALREADY_REDEEMED", 20L)
          .containsEntry("USER_LIMIT_REACHED", 20L);
      SaleChecks.assertWhole(fx, 1, STOCK, sale);
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
      Map<String, Long> hostile = SaleChecks.hostileRequests(sale, before);
      sale.awaitCode("SOLD_OUT", 50, LONG);
      sale.stop();

      log.info("Redis restarted empty under load: {} (hostile: {})", sale.summary(), hostile);
      assertThat(hostile)
          .containsEntry("replayed", 20L)
          .containsEntry("ORDER_ALREADY_REDEEMED", 20L)
          .containsEntry("USER_LIMIT_REACHED", 20L);
      SaleChecks.assertWhole(fx, 2, STOCK, sale);
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
          .until(() -> "PONG".equals(RedisFixture.join(keys.commands().ping())));
      int deleted = 0;
      for (String key : keys.keys()) {
        if (key.contains("{3}:") && !key.endsWith(":m") && key.hashCode() % 2 == 0) {
          RedisFixture.join(keys.commands().del(key));
          deleted++;
        }
      }

      Map<String, Long> hostile =
          SaleChecks.hostileRequests(sale, sale.requests(s -> s == 201).subList(0, 40));
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
      SaleChecks.assertRowsAndRedisAgree(fx, 3, STOCK);
    }
  }
}
