package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.model.Coupon;
import io.couponflow.model.RedemptionId;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.ServerProcess;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library unchanged on a three-master Redis Cluster of private servers: loaded on every master,
 * and every function called for coupons whose keys live on different masters.
 */
class ClusterIT {
  private static final List<PrivateRedis> NODES = new ArrayList<>();
  private static RedisFixture redis;

  @BeforeAll
  static void startCluster() throws IOException, InterruptedException {
    List<String> addresses = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int port = ServerProcess.freePort();
      PrivateRedis node =
          PrivateRedis.onPort(
              port,
              false,
              "--cluster-enabled",
              "yes",
              "--cluster-config-file",
              "nodes-" + port + ".conf");
      NODES.add(node);
      node.start();
      addresses.add("127.0.0.1:" + port);
    }
    for (int i = 0; i < 3; i++) {
      String port = addresses.get(i).split(":")[1];
      int first = i * SlotHash.SLOT_COUNT / 3;
      int last = (i + 1) * SlotHash.SLOT_COUNT / 3 - 1;
      cli(port, "cluster", "set-config-epoch", Integer.toString(i + 1));
      cli(port, "cluster", "addslotsrange", Integer.toString(first), Integer.toString(last));
      if (i > 0) {
        cli(port, "cluster", "meet", "127.0.0.1", addresses.get(0).split(":")[1]);
      }
    }
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(
            () -> {
              for (String a : addresses) {
                String info = cli(a.split(":")[1], "cluster", "info");
                if (!info.contains("cluster_state:ok") || !info.contains("cluster_known_nodes:3")) {
                  return false;
                }
              }
              return true;
            });
    redis =
        RedisFixture.create(
            addresses.stream().map(a -> "redis://" + a).collect(Collectors.joining(",")),
            ClusterIT.class);
  }

  private static String cli(String port, String... command)
      throws IOException, InterruptedException {
    List<String> line = new ArrayList<>(List.of("redis-cli", "-p", port));
    line.addAll(List.of(command));
    Process p = new ProcessBuilder(line).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(output).as(String.join(" ", line)).doesNotStartWith("ERR");
    return output;
  }

  @AfterAll
  static void stopCluster() {
    if (redis != null) {
      redis.close();
    }
    NODES.forEach(PrivateRedis::close);
  }

  @Test
  void everyFunction_worksForCouponsOnEveryMaster() {
    CouponFunctions functions = redis.functions();
    assertThat(redis.redis().isCluster()).isTrue();
    assertThat(join(redis.redis().onEveryMaster(CouponLibrary::installedVersion)))
        .containsExactly(CouponLibrary.version(), CouponLibrary.version(), CouponLibrary.version());

    List<Long> coupons = new ArrayList<>();
    Set<Integer> slotRanges = new HashSet<>();
    for (long id = 1; slotRanges.size() < 3 && id < 1_000; id++) {
      int range = SlotHash.getSlot(Long.toString(id)) * 3 / SlotHash.SLOT_COUNT;
      if (slotRanges.add(range)) {
        coupons.add(id);
      }
    }
    assertThat(coupons).hasSize(3);

    for (long id : coupons) {
      Coupon c = coupon(id).stock(3).limit(1).buckets(4).build();
      assertThat(join(functions.load(c, 0, 0))).isEqualTo(new LoadOutcome.Created(3));
      RedeemOutcome.Accepted a =
          (RedeemOutcome.Accepted)
              join(
                  functions.redeem(
                      new RedeemRequest(id, "key-1", "u-1", "SO-1", 35_000), c.buckets()));
      assertThat(join(functions.redeem(new RedeemRequest(id, "key-1", "u-1", "SO-1", 35_000), 4)))
          .isEqualTo(new RedeemOutcome.Replayed(a.redemption()));
      RedemptionId rid = a.redemption().redemptionId();
      assertThat(join(functions.get(rid, 4))).isEqualTo(new RedemptionLookup.Found(a.redemption()));
      assertThat(join(functions.reverse(rid, 4, "x"))).isInstanceOf(ReverseOutcome.Reversed.class);
      assertThat(join(functions.setStatus(id, io.couponflow.model.CouponStatus.PAUSED, 0)))
          .isPresent();
      assertThat(join(functions.reconcile(id, new Counters(3, 0, 1))).status())
          .isEqualTo(ReconcileOutcome.Status.MATCH);
      assertThat(
              join(functions.reconcileApply(id, new Counters(3, 0, 1), new Counters(3, 0, 1)))
                  .status())
          .isEqualTo(ReconcileOutcome.Status.APPLIED);
      assertThat(join(functions.inspect(id)).orElseThrow().pending()).isEqualTo(2);
      assertThat(join(functions.outboxRead(id, Duration.ZERO, 10, null))).hasSize(2);
    }
    assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(10)))
        .containsExactlyInAnyOrderElementsOf(coupons);

    for (long id : coupons) {
      List<String> ids =
          join(functions.outboxRead(id, Duration.ZERO, 10, null)).stream()
              .map(OutboxEntry::id)
              .toList();
      assertThat(join(functions.outboxAck(id, ids))).isEqualTo(2);
    }
    assertThat(functions.couponsWithPendingOutbox(Duration.ofSeconds(10))).isEmpty();
  }
}
