package io.couponflow.lua.cluster;

import static io.couponflow.lua.cluster.ClusterCoupons.coupon;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.model.Coupon;
import io.couponflow.model.RedemptionId;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.async.RedisAdvancedClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A master of a 3-master, 3-replica cluster is killed during load: its replica takes over and
 * redemptions continue on its slots. Replication is asynchronous, so redemptions the old master
 * acknowledged but had not replicated yet can be lost; the test measures that window and checks
 * that what survives is consistent (stock, counters and outbox agree) and that nothing on the other
 * masters is touched.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FailoverIT {
  private static final Logger log = LoggerFactory.getLogger(FailoverIT.class);
  private static final long STOCK = 1_000_000;

  /**
   * Redemptions acknowledged while the replica is frozen: enough replication stream (about 1 KB
   * each) to overflow the loopback socket buffers, so the newest entries are still in the dying
   * master's memory when it is killed.
   */
  private static final int UNREPLICATED = 20_000;

  private static PrivateRedisCluster cluster;
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void startCluster() {
    cluster = PrivateRedisCluster.launch(3, 1, Duration.ofSeconds(2));
    redis = RedisFixture.create(cluster.uri(), FailoverIT.class);
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

  /** What one coupon saw during the run. */
  private record Tally(
      Coupon coupon, List<RedemptionId> acknowledged, AtomicInteger failed, AtomicLong lastAck) {}

  @Test
  void killMasterDuringLoad_replicaTakesOver_redemptionsContinueOnItsSlots() throws Exception {
    Map<PrivateRedis, List<Long>> perMaster =
        ClusterCoupons.perMaster(cluster, redis.prefix(), 1, 2);
    Map<Long, Tally> tallies = new LinkedHashMap<>();
    perMaster.values().stream()
        .flatMap(List::stream)
        .forEach(
            id -> {
              Coupon c = coupon(id, STOCK, 1, 0, 10);
              functions.load(c, 0, 0, Duration.ZERO).join();
              tallies.put(
                  id,
                  new Tally(
                      c,
                      java.util.Collections.synchronizedList(new ArrayList<>()),
                      new AtomicInteger(),
                      new AtomicLong()));
            });
    PrivateRedis victim = masterWithReplica();
    List<Long> victimCoupons = perMaster.get(victim);
    List<Long> ids = List.copyOf(tallies.keySet());

    AtomicBoolean running = new AtomicBoolean(true);
    AtomicLong sequence = new AtomicLong();
    AtomicLong killMark = new AtomicLong();
    AtomicLong firstVictimAckAfterKill = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(6);
    List<Future<?>> workers = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      workers.add(
          pool.submit(
              () -> {
                while (running.get()) {
                  long id = ids.get(ThreadLocalRandom.current().nextInt(ids.size()));
                  Tally tally = tallies.get(id);
                  long n = sequence.incrementAndGet();
                  RedeemRequest request = new RedeemRequest(id, "k-" + n, "u-" + n, "o-" + n, 100);
                  long started = System.nanoTime();
                  try {
                    RedeemOutcome outcome =
                        functions.redeem(request, tally.coupon().buckets()).join();
                    if (outcome instanceof RedeemOutcome.Fenced) {
                      tally.failed().incrementAndGet();
                    } else if (outcome instanceof RedeemOutcome.Accepted a) {
                      tally.acknowledged().add(a.redemption().redemptionId());
                      long now = System.nanoTime();
                      tally.lastAck().set(now);
                      long kill = killMark.get();
                      if (kill != 0 && started > kill && victimCoupons.contains(id)) {
                        firstVictimAckAfterKill.compareAndSet(0, now);
                      }
                    }
                  } catch (RuntimeException e) {
                    tally.failed().incrementAndGet();
                  }
                }
              }));
    }
    long promotedAt;
    long killedAt;
    int ackedBeforeKill;
    try {
      Thread.sleep(1_500);
      ackedBeforeKill = victimCoupons.stream().mapToInt(id -> acked(tallies, id)).sum();
      List<PrivateRedis> replicas = cluster.replicasOf(victim);
      killedAt = System.nanoTime();
      cluster.killMaster(victim);
      killMark.set(System.nanoTime());
      assertThat(replicas).hasSize(1);
      PrivateRedis promoted = cluster.awaitPromotion(replicas, Duration.ofSeconds(30));
      promotedAt = System.nanoTime();
      assertThat(cluster.ownerOf(cluster.keySlot("{" + victimCoupons.get(0) + "}")))
          .isEqualTo(promoted);
      // The promoted replica may lack what the dead master acknowledged last: its coupons are
      // fenced until repaired (here, as they stand: this module's tests have no MySQL).
      for (long id : victimCoupons) {
        awaitFencedThenUnfence(tallies.get(id).coupon());
      }
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (System.nanoTime() < deadline
          && !victimCoupons.stream().allMatch(id -> tallies.get(id).lastAck().get() > promotedAt)) {
        Thread.sleep(50);
      }
      Thread.sleep(500);
    } finally {
      running.set(false);
      for (Future<?> worker : workers) {
        worker.get();
      }
      pool.shutdownNow();
    }

    int lost = 0;
    int failedOnVictim = 0;
    for (Tally tally : tallies.values()) {
      long id = tally.coupon().couponId();
      int buckets = tally.coupon().buckets();
      int missing = 0;
      for (RedemptionId rid : List.copyOf(tally.acknowledged())) {
        if (!(functions.get(rid, buckets).join() instanceof RedemptionLookup.Found)) {
          missing++;
        }
      }
      CouponInspection state = functions.inspect(id).join().orElseThrow();
      long accepted = state.coupon().accepted();
      assertThat(state.coupon().stock()).isEqualTo(STOCK - accepted);
      assertThat(state.pendingAccepts()).isEqualTo(accepted);
      int surviving = tally.acknowledged().size() - missing;
      assertThat(accepted).isBetween((long) surviving, (long) surviving + tally.failed().get());
      if (victimCoupons.contains(id)) {
        lost += missing;
        failedOnVictim += tally.failed().get();
        assertThat(tally.lastAck().get()).as("accepts after promotion").isGreaterThan(promotedAt);
      } else {
        assertThat(missing).as("lost on a master that was not killed").isZero();
      }
    }
    int ackedOnVictim = victimCoupons.stream().mapToInt(id -> acked(tallies, id)).sum();
    log.info(
        "Failover: {} accepted on the killed master's coupons before the kill, {} in all; replica"
            + " promoted {} ms after the kill, first accept of a request sent after the kill {} ms after it; {}"
            + " requests on its coupons failed meanwhile (503s);"
            + " {} acknowledged redemptions lost (accepted by the old master, not replicated)",
        ackedBeforeKill,
        ackedOnVictim,
        Duration.ofNanos(promotedAt - killedAt).toMillis(),
        Duration.ofNanos(firstVictimAckAfterKill.get() - killedAt).toMillis(),
        failedOnVictim,
        lost);
    assertThat(ackedOnVictim).isGreaterThan(ackedBeforeKill);
    assertThat(lost).isLessThanOrEqualTo(ackedBeforeKill);
  }

  @Test
  void replicaBehindWhenItsMasterDies_losesTheNewestAcknowledgedRedemptions_andStaysConsistent() {
    PrivateRedis master = masterWithReplica();
    PrivateRedis replica = cluster.replicasOf(master).get(0);
    long id = ClusterCoupons.perMaster(cluster, redis.prefix(), 10_000, 1).get(master).get(0);
    Coupon c = coupon(id, STOCK, 1, 0, 10);
    functions.load(c, 0, 0, Duration.ZERO).join();
    List<RedemptionId> replicated = redeem(c, 0, 20);
    assertThat(cluster.cli(master, "WAIT", "1", "5000").trim()).isEqualTo("1");

    replica.freeze();
    long offsetBefore = replicationOffset(master);
    List<RedemptionId> unreplicated = redeem(c, 20, UNREPLICATED);
    long bytes = replicationOffset(master) - offsetBefore;
    cluster.killMaster(master);
    replica.thaw();
    PrivateRedis promoted = cluster.awaitPromotion(List.of(replica), Duration.ofSeconds(30));
    long promotedAt = System.nanoTime();
    awaitServed(id, Duration.ofSeconds(20));
    long seenAfter = Duration.ofNanos(System.nanoTime() - promotedAt).toMillis();
    // On the promoted replica the coupon decides nothing until repaired: it may lack (and here
    // does lack) redemptions its dead master acknowledged.
    awaitFencedThenUnfence(c);

    assertThat(promoted).isEqualTo(replica);
    assertThat(found(c, replicated)).containsOnly(true);
    List<Boolean> survived = found(c, unreplicated);
    int kept = survived.indexOf(false) < 0 ? survived.size() : survived.indexOf(false);
    assertThat(survived.subList(0, kept)).containsOnly(true);
    assertThat(survived.subList(kept, survived.size())).containsOnly(false);
    int lost = UNREPLICATED - kept;
    log.info(
        "Replica frozen while its master acknowledged {} redemptions ({} bytes of replication"
            + " stream); after the master's death and the replica's promotion, {} of them survived"
            + " (what reached the replica's socket) and the newest {} were lost; the client used the"
            + " promoted replica {} ms after the cluster reported it",
        UNREPLICATED,
        bytes,
        kept,
        lost,
        seenAfter);
    assertThat(lost).isPositive();

    CouponInspection state = functions.inspect(id).join().orElseThrow();
    long accepted = replicated.size() + kept;
    assertThat(state.coupon().accepted()).isEqualTo(accepted);
    assertThat(state.coupon().stock()).isEqualTo(STOCK - accepted);
    assertThat(state.pendingAccepts()).isEqualTo(accepted);
    assertThat(redeem(c, 100_000, 5)).hasSize(5);
  }

  /**
   * Waits until the coupon answers FENCED (the client reached the promoted replica), then repairs
   * it as it stands there.
   */
  private static void awaitFencedThenUnfence(Coupon c) {
    RedeemRequest probe =
        new RedeemRequest(c.couponId(), "probe-key", "probe-user", "probe-order", 100);
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(50))
        .ignoreExceptions()
        .until(() -> functions.redeem(probe, c.buckets()).join() instanceof RedeemOutcome.Fenced);
    assertThat(redis.unfenceAsIs(c.couponId())).isTrue();
  }

  /**
   * Waits until the client reads a coupon again; when it does not in time, fails with the client's
   * route for the coupon's slot, the last error and the cluster's own view, so the failure explains
   * itself.
   */
  private static void awaitServed(long id, Duration timeout) {
    AtomicReference<Throwable> lastFailure = new AtomicReference<>();
    String key = CouponKeys.meta(redis.prefix(), id);
    try {
      await()
          .atMost(timeout)
          .pollInterval(Duration.ofMillis(50))
          .until(
              () -> {
                try {
                  return functions.coupon(id).join().isPresent();
                } catch (RuntimeException e) {
                  lastFailure.set(e);
                  return false;
                }
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "coupon "
              + id
              + " not served within "
              + timeout
              + "; last failure: "
              + lastFailure.get()
              + "\nclient route: "
              + describeRoute(key)
              + "\nCLUSTER NODES of a running node:\n"
              + cluster.cli(cluster.masters().get(0), "CLUSTER", "NODES"),
          e);
    }
  }

  /**
   * How the client routes a key now: the key's slot, the node it goes to, and every node of the
   * client's cluster view (address, id, flags, config epoch, slot count).
   */
  private static String describeRoute(String key) {
    Partitions partitions =
        ((RedisAdvancedClusterAsyncCommands<String, String>) redis.commands())
            .getStatefulConnection()
            .getPartitions();
    int slot = SlotHash.getSlot(key);
    RedisClusterNode owner = partitions.getPartitionBySlot(slot);
    StringBuilder text =
        new StringBuilder("slot ")
            .append(slot)
            .append(" -> ")
            .append(owner == null ? "no node" : describe(owner))
            .append("; client's view:");
    for (RedisClusterNode node : partitions) {
      text.append("\n  ").append(describe(node));
    }
    return text.toString();
  }

  private static String describe(RedisClusterNode node) {
    RedisURI uri = node.getUri();
    return (uri == null ? "?" : uri.getHost() + ":" + uri.getPort())
        + " id "
        + node.getNodeId()
        + " "
        + node.getFlags()
        + " epoch "
        + node.getConfigEpoch()
        + " slots "
        + node.getSlots().size();
  }

  private static long replicationOffset(PrivateRedis master) {
    for (String line : cluster.cli(master, "INFO", "replication").split("\r?\n")) {
      if (line.startsWith("master_repl_offset:")) {
        return Long.parseLong(line.substring("master_repl_offset:".length()).trim());
      }
    }
    throw new IllegalStateException("no master_repl_offset");
  }

  /** Redeems {@code count} times with fresh users and orders, pipelined, in order. */
  private static List<RedemptionId> redeem(Coupon c, int from, int count) {
    List<CompletableFuture<RedeemOutcome>> calls = new ArrayList<>(count);
    Semaphore window = new Semaphore(256);
    for (int i = from; i < from + count; i++) {
      window.acquireUninterruptibly();
      String pad = "-".repeat(40);
      calls.add(
          functions
              .redeem(
                  new RedeemRequest(c.couponId(), "k" + pad + i, "u" + pad + i, "o" + pad + i, 100),
                  c.buckets())
              .whenComplete((r, e) -> window.release()));
    }
    List<RedemptionId> ids = new ArrayList<>(count);
    for (CompletableFuture<RedeemOutcome> call : calls) {
      RedeemOutcome outcome = call.join();
      assertThat(outcome).isInstanceOf(RedeemOutcome.Accepted.class);
      ids.add(((RedeemOutcome.Accepted) outcome).redemption().redemptionId());
    }
    return ids;
  }

  /** For each redemption, whether Redis holds it, in the same order. */
  private static List<Boolean> found(Coupon c, List<RedemptionId> ids) {
    List<CompletableFuture<Boolean>> calls = new ArrayList<>(ids.size());
    Semaphore window = new Semaphore(256);
    for (RedemptionId rid : ids) {
      window.acquireUninterruptibly();
      calls.add(
          functions
              .get(rid, c.buckets())
              .thenApply(lookup -> lookup instanceof RedemptionLookup.Found)
              .whenComplete((r, e) -> window.release()));
    }
    return calls.stream().map(CompletableFuture::join).toList();
  }

  private static PrivateRedis masterWithReplica() {
    return cluster.masters().stream()
        .filter(m -> cluster.replicasOf(m).size() == 1)
        .findFirst()
        .orElseThrow();
  }

  private static int acked(Map<Long, Tally> tallies, long id) {
    return tallies.get(id).acknowledged().size();
  }
}
