package io.couponflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.gateway.faults.Sale;
import io.couponflow.gateway.faults.SaleChecks;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster case of a Redis that comes back with less than it acknowledged: a coupon's replica
 * falls behind (frozen while its master goes on accepting), its master dies, and the replica is
 * promoted without the newest redemptions. A gateway under a sale's load keeps the coupon fenced on
 * the promoted node until it is repaired from MySQL; afterwards nothing is sold or redeemed twice
 * and every old key replays its first answer.
 */
class RedisLossClusterIT {
  private static final Logger log = LoggerFactory.getLogger(RedisLossClusterIT.class);
  private static final long STOCK = 3000;
  private static final Duration LONG = Duration.ofSeconds(60);

  @Test
  void replicaPromotedBehindItsDeadMaster_underLoad_nothingIsSoldOrRedeemedTwice()
      throws Exception {
    try (PrivateRedisCluster cluster = PrivateRedisCluster.launch(3, 1, Duration.ofSeconds(2));
        GatewayFixture fx =
            GatewayFixture.builder(RedisLossClusterIT.class)
                .redis(cluster.uri())
                .env(Map.of("COUPON_REPAIR_SETTLE", "500ms", "COUPON_REPAIR_WAIT", "2s"))
                .start();
        Sale sale = new Sale(fx.api("/"), 7)) {
      fx.createCoupon(7, STOCK, 1, 0, 100);
      PrivateRedis master = cluster.ownerOf(fx.redis().prefix() + ":{7}:m");
      List<PrivateRedis> replicas = cluster.replicasOf(master);
      assertThat(replicas).hasSize(1);
      PrivateRedis replica = replicas.get(0);

      sale.start(16);
      sale.awaitAccepted(300, LONG);
      replica.freeze();
      // Fill the replication socket buffers, so that what the master accepts next stays in its
      // own memory and dies with it.
      String junk = "x".repeat(16 << 20);
      RedisFixture.join(fx.redis().commands().set(junkKeyOn(cluster, master), junk));
      long atFreeze = sale.count(s -> s == 201);
      sale.awaitAccepted(atFreeze + 200, LONG);
      List<Integer> lostWindow = SaleChecks.acceptedAfter(sale, (int) atFreeze);
      long killedAt = System.nanoTime();
      cluster.killMaster(master);
      replica.thaw();
      cluster.awaitPromotion(List.of(replica), Duration.ofSeconds(30));

      Map<String, Long> hostile = SaleChecks.hostileRequests(sale, lostWindow.subList(0, 20));
      sale.awaitCode("SOLD_OUT", 50, LONG);
      sale.stop();

      log.info(
          "Replica frozen after {} accepts, master killed after {} more; after the promotion: {}"
              + " (hostile: {}); first 201 {} ms after the kill",
          atFreeze,
          lostWindow.size(),
          sale.summary(),
          hostile,
          SaleChecks.firstAcceptAfter(sale, killedAt));
      assertThat(hostile)
          .containsEntry("replayed", 20L)
          .containsEntry("ORDER_ALREADY_REDEEMED", 20L)
          .containsEntry("USER_LIMIT_REACHED", 20L);
      SaleChecks.assertWhole(fx, 7, STOCK, sale);
    }
  }

  /** A key whose slot the node serves. */
  private static String junkKeyOn(PrivateRedisCluster cluster, PrivateRedis node) {
    for (int i = 0; ; i++) {
      String key = "junk-" + i;
      if (cluster.ownerOf(key).equals(node)) {
        return key;
      }
    }
  }
}
