package io.couponflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.lua.CouponEvents;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.cluster.ClusterCoupons;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gateway on a private cluster of 3 masters with a replica each: readiness asks every master
 * for the library, and the gateway's event subscription survives the death of the node it
 * subscribed through. The failover runs last: it leaves a master dead.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GatewayFailoverClusterIT {
  private static final Logger log = LoggerFactory.getLogger(GatewayFailoverClusterIT.class);

  private static ClusterGateways gateways;
  private static PrivateRedisCluster cluster;

  @BeforeAll
  static void start() {
    gateways =
        new ClusterGateways(
            GatewayFailoverClusterIT.class,
            PrivateRedisCluster.launch(3, 1, Duration.ofSeconds(2)),
            1,
            Map.of("COUPON_CACHE_NEGATIVE_TTL", "1h"));
    cluster = gateways.cluster();
  }

  @AfterAll
  static void stop() {
    if (gateways != null) {
      gateways.close();
    }
  }

  @Test
  @Order(1)
  void ready_asksEveryMaster_andIsDownWhileOneCannotGetTheLibrary() throws Exception {
    assertReady("UP");
    for (PrivateRedis master : cluster.masters()) {
      cluster.cli(master, "FUNCTION", "DELETE", CouponLibrary.NAME);
      cluster.cli(master, "CONFIG", "SET", "maxmemory", "1");
      try {
        HttpResponse<String> down = gateways.ready(0);

        assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
        assertThat(down.body()).contains("\"redis\":\"DOWN\"");
        assertThat(cluster.cli(master, "FUNCTION", "LIST").trim()).isEmpty();
      } finally {
        cluster.cli(master, "CONFIG", "SET", "maxmemory", "0");
      }

      assertReady("UP");
      assertThat(cluster.cli(master, "FCALL_RO", "cf_version", "0").trim())
          .isEqualTo(Integer.toString(CouponLibrary.version()));
    }
  }

  @Test
  @Order(2)
  void subscribedNodeDies_readyStaysDegradedUntilItsReplicaTakesOver_andEventsStillArrive()
      throws Exception {
    String channel = CouponEvents.channel(gateways.redis().prefix());
    PrivateRedis subscribed = subscribedNode(channel);
    boolean throughReplica = cluster.replicasOf(subscribed).isEmpty();
    if (throughReplica) {
      cluster.cli(subscribed, "CLUSTER", "FAILOVER");
      await().atMost(Duration.ofSeconds(20)).until(() -> cluster.masters().contains(subscribed));
      cluster.awaitHealthy(Duration.ofSeconds(30));
    }
    assertThat(subscribedNode(channel)).isEqualTo(subscribed);
    long id =
        ClusterCoupons.perMaster(cluster, gateways.redis().prefix(), 5_000, 1).entrySet().stream()
            .filter(e -> !e.getKey().equals(subscribed))
            .findFirst()
            .orElseThrow()
            .getValue()
            .get(0);
    assertThat(redeem(id, "before")).isEqualTo(404);
    gateways.createCoupon(ClusterCoupons.coupon(id, 10, 1, 0, 100));
    assertThat(redeem(id, "cached")).as("answered from the negative entry").isEqualTo(404);

    long killedAt = System.nanoTime();
    List<PrivateRedis> replicas = cluster.killMaster(subscribed);
    HttpResponse<String> whileDown = gateways.ready(0);
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> subscribers(channel) == 1);
    long resubscribedMs = millisSince(killedAt);
    PrivateRedis through = subscribedNode(channel);
    cluster.awaitPromotion(replicas, Duration.ofSeconds(30));
    long promotedMs = millisSince(killedAt);
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertReady("UP"));

    assertThat(whileDown.statusCode()).as(whileDown.body()).isEqualTo(200);
    assertThat(whileDown.body()).contains("\"redis\":\"DEGRADED\"");
    PrivateRedis publisher =
        cluster.masters().stream().filter(m -> !m.equals(through)).findFirst().orElseThrow();
    cluster.cli(publisher, "PUBLISH", channel, CouponEvents.changed(id));
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> redeem(id, "after") == 201);
    log.info(
        "Subscribed node killed{}: the gateway was subscribed again through {} after {} ms;"
            + " the replica took over after {} ms",
        throughReplica ? " (a replica at first, made a master by CLUSTER FAILOVER)" : "",
        through.port(),
        resubscribedMs,
        promotedMs);
  }

  private static void assertReady(String redisState) throws Exception {
    HttpResponse<String> ready = gateways.ready(0);
    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
    assertThat(ready.body()).contains("\"redis\":\"" + redisState + "\"");
  }

  private static int redeem(long id, String key) throws Exception {
    return gateways.redeem(0, key, id, "u-1", "o-1", 1_000).statusCode();
  }

  /** The running node that holds the gateway's subscription to {@code channel}. */
  private static PrivateRedis subscribedNode(String channel) {
    List<PrivateRedis> holding = running().stream().filter(n -> numsub(n, channel) > 0).toList();
    assertThat(holding).hasSize(1);
    return holding.get(0);
  }

  /** Subscriptions to {@code channel} over all running nodes (PUBSUB NUMSUB is per node). */
  private static int subscribers(String channel) {
    return running().stream().mapToInt(n -> numsub(n, channel)).sum();
  }

  private static int numsub(PrivateRedis node, String channel) {
    String[] reply = cluster.cli(node, "PUBSUB", "NUMSUB", channel).trim().split("\\s+");
    return Integer.parseInt(reply[1]);
  }

  private static List<PrivateRedis> running() {
    return cluster.nodes().stream().filter(PrivateRedis::isRunning).toList();
  }

  private static long millisSince(long nanos) {
    return Duration.ofNanos(System.nanoTime() - nanos).toMillis();
  }
}
