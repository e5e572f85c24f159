package io.couponflow.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.cluster.ClusterCoupons;
import io.couponflow.model.Coupon;
import io.couponflow.testkit.PrivateRedis;
import java.net.http.HttpResponse;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Two gateways against one private 3-master Redis Cluster and one MySQL database: they share the
 * load and keep the invariants, pub/sub invalidation reaches both, their sweepers store what a
 * crashed gateway and their own tiny queues (COUPON_QUEUE_CAPACITY 2) left in the outboxes side by
 * side, and a graceful stop of one during load loses nothing (a request it turns away with 503
 * while stopping is sent again to the other, as a load balancer would). The stop runs last: it
 * leaves one gateway.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class TwoGatewaysClusterIT {
  private static final Pattern REDEMPTION_ID = Pattern.compile("\"redemptionId\":\"([^\"]+)\"");
  private static final Pattern REMAINING = Pattern.compile("\"remainingStock\":(\\d+)");

  private static ClusterGateways gateways;

  @BeforeAll
  static void start() {
    gateways =
        new ClusterGateways(
            TwoGatewaysClusterIT.class,
            2,
            Map.of(
                "COUPON_CACHE_NEGATIVE_TTL", "1h",
                "COUPON_QUEUE_CAPACITY", "2",
                "COUPON_SWEEP_INTERVAL", "200ms",
                "COUPON_SWEEP_MIN_AGE", "1s",
                "COUPON_SHUTDOWN_GRACE", "10s"));
  }

  @AfterAll
  static void stop() {
    if (gateways != null) {
      gateways.close();
    }
  }

  /** What clients saw: 201s by redemption id, and keys whose answer never came. */
  private record Seen(
      Map<String, String> acceptedByKey,
      Set<String> unanswered,
      AtomicInteger[] perGateway,
      Map<Integer, AtomicInteger> statuses) {
    Seen() {
      this(
          new ConcurrentHashMap<>(),
          ConcurrentHashMap.newKeySet(),
          new AtomicInteger[] {new AtomicInteger(), new AtomicInteger()},
          new ConcurrentHashMap<>());
    }
  }

  @Test
  @Order(1)
  void twoGateways_shareTheLoad_andKeepTheInvariantsExactly() throws Exception {
    List<Coupon> coupons = new ArrayList<>();
    coupons.add(define(coupon(1, 100, 2)));
    for (long id : ClusterCoupons.onePerMaster(gateways.cluster(), gateways.redis().prefix(), 10)) {
      coupons.add(define(coupon(id, 50, 1)));
    }
    Seen seen = new Seen();
    leaveOutboxEntriesOfACrashedGateway(coupons, seen);
    AtomicLong sequence = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> clients = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int gateway = t % 2;
        clients.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 150; i++) {
                    long n = sequence.incrementAndGet();
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    send(
                        seen,
                        gateway,
                        pick(coupons),
                        n,
                        "u-" + random.nextInt(150),
                        "o-" + random.nextInt(300));
                  }
                  return null;
                }));
      }
      for (Future<?> client : clients) {
        client.get();
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(seen.unanswered()).isEmpty();
    assertThat(seen.perGateway()[0].get()).isGreaterThan(100);
    assertThat(seen.perGateway()[1].get()).isGreaterThan(100);
    assertThat(seen.statuses().keySet()).containsOnly(201, 409);
    awaitOutboxesDrained();
    assertAtRest(coupons, seen);
    for (Coupon c : coupons) {
      long rows = countRows(c.couponId());
      assertThat(rows).isEqualTo(c.totalStock());
      for (int g = 0; g < 2; g++) {
        HttpResponse<String> coupon = gateways.get(g, "/v1/coupons/" + c.couponId());
        assertThat(coupon.statusCode()).isEqualTo(200);
        assertThat(number(REMAINING, coupon.body())).isZero();
      }
    }
  }

  @Test
  @Order(2)
  void couponChangedEvent_reachesBothGateways() throws Exception {
    long id = 777;
    for (int g = 0; g < 2; g++) {
      assertThat(gateways.redeem(g, "before-" + g, id, "u-" + g, "o-" + g, 1_000).statusCode())
          .isEqualTo(404);
    }
    define(coupon(id, 5, 1));
    for (int g = 0; g < 2; g++) {
      assertThat(gateways.redeem(g, "cached-" + g, id, "u-" + g, "o-" + g, 1_000).statusCode())
          .as("gateway %d answers from its negative entry (COUPON_CACHE_NEGATIVE_TTL 1h)", g)
          .isEqualTo(404);
    }

    gateways.redis().functions().publishChanged(id).join();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              for (int g = 0; g < 2; g++) {
                assertThat(
                        gateways
                            .redeem(g, "after-" + g, id, "u-" + g, "o-" + g, 1_000)
                            .statusCode())
                    .isEqualTo(201);
              }
            });
  }

  @Test
  @Order(3)
  void gracefulStopOfOneGatewayDuringLoad_losesNothing() throws Exception {
    List<Coupon> coupons = new ArrayList<>();
    for (long id :
        ClusterCoupons.perMaster(gateways.cluster(), gateways.redis().prefix(), 1_000, 1)
            .values()
            .stream()
            .flatMap(List::stream)
            .toList()) {
      coupons.add(define(coupon(id, 100_000, 1)));
    }
    Seen seen = new Seen();
    AtomicLong sequence = new AtomicLong();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicBoolean secondStopping = new AtomicBoolean();
    AtomicBoolean secondStopped = new AtomicBoolean();
    AtomicInteger retried = new AtomicInteger();
    AtomicInteger unexpected503 = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> clients = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      int home = t % 2;
      clients.add(
          pool.submit(
              () -> {
                while (running.get()) {
                  int gateway = home == 1 && secondStopped.get() ? 0 : home;
                  long n = sequence.incrementAndGet();
                  Coupon c = pick(coupons);
                  HttpResponse<String> r = send(seen, gateway, c, n, "u-" + n, "o-" + n);
                  if (r != null && r.statusCode() == 503) {
                    if (gateway == 1
                        && secondStopping.get()
                        && r.body().contains("the gateway is shutting down")) {
                      retried.incrementAndGet();
                      send(seen, 0, c, n, "u-" + n, "o-" + n);
                    } else {
                      unexpected503.incrementAndGet();
                    }
                  }
                }
                return null;
              }));
    }
    try {
      Thread.sleep(1_500);
      Thread stopper =
          new Thread(
              () -> {
                secondStopping.set(true);
                gateways.stop(1);
                secondStopped.set(true);
              });
      stopper.start();
      stopper.join(20_000);
      assertThat(stopper.isAlive()).isFalse();
      Thread.sleep(1_000);
    } finally {
      running.set(false);
      for (Future<?> client : clients) {
        client.get();
      }
      pool.shutdownNow();
    }

    assertThat(seen.perGateway()[0].get()).isGreaterThan(100);
    assertThat(seen.perGateway()[1].get()).isGreaterThan(100);
    assertThat(unexpected503).hasValue(0);
    assertThat(seen.statuses().keySet()).isSubsetOf(201, 503);
    assertThat(seen.statuses().getOrDefault(503, new AtomicInteger())).hasValue(retried.get());
    awaitOutboxesDrained();
    assertAtRest(coupons, seen);
  }

  private static Coupon pick(List<Coupon> coupons) {
    return coupons.get(ThreadLocalRandom.current().nextInt(coupons.size()));
  }

  /**
   * Sends one redemption with key {@code k-<n>} to a gateway; records it and returns the answer
   * (null when none came).
   */
  private static HttpResponse<String> send(
      Seen seen, int gateway, Coupon c, long n, String user, String order) {
    String key = c.couponId() + ":k-" + n;
    try {
      HttpResponse<String> r = gateways.redeem(gateway, "k-" + n, c.couponId(), user, order, 1_000);
      seen.perGateway()[gateway].incrementAndGet();
      seen.statuses().computeIfAbsent(r.statusCode(), s -> new AtomicInteger()).incrementAndGet();
      if (r.statusCode() == 201) {
        Matcher m = REDEMPTION_ID.matcher(r.body());
        assertThat(m.find()).isTrue();
        seen.acceptedByKey().put(key, m.group(1));
      }
      return r;
    } catch (Exception e) {
      seen.unanswered().add(key);
      return null;
    }
  }

  private static void awaitOutboxesDrained() {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              for (PrivateRedis master : gateways.cluster().masters()) {
                assertThat(
                        gateways
                            .cluster()
                            .cli(
                                master, "--scan", "--pattern", gateways.redis().prefix() + ":{*}:x")
                            .trim())
                    .isEmpty();
              }
            });
  }

  /**
   * The contract's invariants at rest: every 201 has its row; every row has a 201 or a request
   * whose answer was lost; per coupon, Redis's accepted count equals the rows and stock never went
   * below zero; per user at most the limit, per order at most one.
   */
  private static void assertAtRest(List<Coupon> coupons, Seen seen) throws Exception {
    Map<String, String> rows = new HashMap<>();
    try (Connection c = gateways.db().database().dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT coupon_id, idempotency_key, redemption_id FROM redemption"
                    + " WHERE status = 'ACCEPTED'")) {
      while (rs.next()) {
        rows.put(rs.getLong(1) + ":" + rs.getString(2), rs.getString(3));
      }
    }
    Set<String> couponIds = new HashSet<>();
    coupons.forEach(c -> couponIds.add(Long.toString(c.couponId())));
    rows.keySet().removeIf(k -> !couponIds.contains(k.substring(0, k.indexOf(':'))));

    assertThat(rows).containsAllEntriesOf(seen.acceptedByKey());
    Set<String> withoutAnswer = new HashSet<>(rows.keySet());
    withoutAnswer.removeAll(seen.acceptedByKey().keySet());
    assertThat(seen.unanswered()).containsAll(withoutAnswer);

    for (Coupon c : coupons) {
      var live = gateways.redis().functions().coupon(c.couponId()).join().orElseThrow();
      long couponRows = countRows(c.couponId());
      assertThat(live.accepted()).isEqualTo(couponRows);
      assertThat(live.stock()).isEqualTo(c.totalStock() - couponRows).isNotNegative();
      assertThat(
              gateways
                  .db()
                  .queryLong(
                      "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) n FROM redemption WHERE"
                          + " coupon_id = "
                          + c.couponId()
                          + " AND status = 'ACCEPTED' GROUP BY user_id) t"))
          .isLessThanOrEqualTo(c.perUserLimit());
      assertThat(
              gateways
                  .db()
                  .queryLong(
                      "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) n FROM redemption WHERE"
                          + " coupon_id = "
                          + c.couponId()
                          + " AND status = 'ACCEPTED' GROUP BY order_id) t"))
          .isLessThanOrEqualTo(1);
    }
  }

  private static long countRows(long couponId) {
    return gateways
        .db()
        .queryLong(
            "SELECT COUNT(*) FROM redemption WHERE status = 'ACCEPTED' AND coupon_id = "
                + couponId);
  }

  private static long number(Pattern pattern, String body) {
    Matcher m = pattern.matcher(body);
    assertThat(m.find()).as(body).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static Coupon coupon(long id, long stock, int perUser) {
    return ClusterCoupons.coupon(id, stock, perUser, 0, 100);
  }

  private static Coupon define(Coupon c) {
    gateways.createCoupon(c);
    return c;
  }

  /**
   * Redeems ten times on each coupon straight through Redis, as a gateway that crashed before its
   * drainer ran would have: the entries are only in the outboxes, for the sweepers to store.
   */
  private static void leaveOutboxEntriesOfACrashedGateway(List<Coupon> coupons, Seen seen) {
    var functions = gateways.redis().functions();
    for (Coupon c : coupons) {
      functions.load(c, 0, 0, Duration.ZERO).join();
      for (int i = 0; i < 10; i++) {
        RedeemOutcome outcome =
            functions
                .redeem(
                    new RedeemRequest(c.couponId(), "crashed-" + i, "cu-" + i, "co-" + i, 1_000),
                    c.buckets())
                .join();
        assertThat(outcome).isInstanceOf(RedeemOutcome.Accepted.class);
        seen.acceptedByKey()
            .put(
                c.couponId() + ":crashed-" + i,
                ((RedeemOutcome.Accepted) outcome).redemption().redemptionId().toString());
      }
    }
  }
}
