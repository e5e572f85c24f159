package io.couponflow.gateway.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.testkit.PrivateMariaDb;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway as a separate JVM under load over loopback HTTP, through a crash (SIGKILL), a
 * graceful stop (SIGTERM) and a MySQL outage (a private MariaDB frozen with SIGSTOP for 20 s).
 * Afterwards MySQL must hold exactly the accepted redemptions and the CONTRACT.md invariants must
 * hold. Each test has a database of its own on one private MariaDB and a Redis key prefix of its
 * own on the test Redis.
 */
class GatewayFaultsIT {
  private static final long COUPON = 7;
  private static final int STOCK = 5_000;
  private static final int PER_USER = 2;
  private static final int USERS = 2_800;

  private static PrivateMariaDb mariadb;
  private TestDatabase db;
  private RedisFixture redis;
  private GatewayProcess gateway;

  @BeforeAll
  static void startMariaDb() {
    mariadb = PrivateMariaDb.launch();
  }

  @AfterAll
  static void stopMariaDb() {
    mariadb.close();
  }

  @AfterEach
  void tearDown() {
    if (gateway != null) {
      gateway.close();
    }
    if (mariadb.isRunning()) {
      mariadb.thaw();
    }
    if (redis != null) {
      redis.close();
    }
    if (db != null) {
      db.close();
    }
  }

  private void prepare(String name, String... extraEnv) {
    db = TestDatabase.create(mariadb.jdbc("mysql"), GatewayFaultsIT.class);
    redis = RedisFixture.create(GatewayFaultsIT.class);
    createCoupon();
    Map<String, String> env = new HashMap<>();
    env.put("COUPON_JDBC_URL", db.settings().url());
    env.put("COUPON_REDIS_URI", TestSettings.redisUri());
    env.put("COUPON_REDIS_PREFIX", redis.prefix());
    env.put("COUPON_HTTP_IO_THREADS", "1");
    env.put("COUPON_SWEEP_INTERVAL", "500ms");
    env.put("COUPON_SWEEP_MIN_AGE", "1s");
    env.put("COUPON_SHUTDOWN_GRACE", "10s");
    for (int i = 0; i + 1 < extraEnv.length; i += 2) {
      env.put(extraEnv[i], extraEnv[i + 1]);
    }
    gateway = new GatewayProcess(name, env);
  }

  private void createCoupon() {
    Instant now = Instant.now();
    Coupon coupon =
        new Coupon(
            COUPON,
            "faults",
            STOCK,
            PER_USER,
            1_000,
            500,
            now.minusSeconds(60),
            now.plusSeconds(3_600),
            CouponStatus.ACTIVE,
            false,
            Coupon.bucketsFor(STOCK),
            1);
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class).insert(coupon);
    }
  }

  @Test
  void kill9MidLoad_afterRestartAndSweep_mySqlHoldsExactlyTheAcceptedRedemptions()
      throws Exception {
    prepare("kill9");
    gateway.start();
    Load load = new Load(COUPON, USERS);

    CompletableFuture<Void> running = loadUntil(load, 6_000, 3_000, 0, () -> gateway.kill());
    running.get(120, TimeUnit.SECONDS);

    Map<Integer, Long> firstRun = load.byStatus();
    assertThat(firstRun.getOrDefault(201, 0L)).isGreaterThanOrEqualTo(2_500);
    assertThat(firstRun.getOrDefault(0, 0L)).isPositive();
    gateway.start();
    load.retryLost(gateway.api("/"));

    assertThat(load.lostRequests()).isEmpty();
    assertExactlyTheAcceptedAndInvariants(load);
  }

  @Test
  void sigtermMidLoad_exitsZero_andEvery201HasItsRow() throws Exception {
    prepare("sigterm");
    gateway.start();
    Load load = new Load(COUPON, USERS);
    int[] exit = {-1};

    loadUntil(load, 5_000, 2_500, 0, () -> exit[0] = gateway.terminate(Duration.ofSeconds(30)))
        .get(120, TimeUnit.SECONDS);

    assertThat(exit[0]).isZero();
    assertThat(load.accepted()).hasSizeGreaterThanOrEqualTo(2_000);
    gateway.start();
    load.retryLost(gateway.api("/"));

    assertThat(load.lostRequests()).isEmpty();
    assertExactlyTheAcceptedAndInvariants(load);
  }

  @Test
  void mariaDbFrozenFor20sUnderLoad_losesNothing_andTheSweeperCatchesUp() throws Exception {
    prepare(
        "mysql-outage",
        "COUPON_JDBC_TIMEOUT",
        "1s",
        "COUPON_SINK_BREAKER_OPEN",
        "2s",
        "COUPON_QUEUE_CAPACITY",
        "1024");
    gateway.start();
    Load load = new Load(COUPON, USERS);
    CouponFunctions functions = redis.functions();
    List<long[]> lag = new ArrayList<>();

    CompletableFuture<Void> running =
        CompletableFuture.runAsync(
            () -> {
              try {
                load.run(gateway.api("/"), 6_000, 16, 25, Duration.ofMillis(100), n -> {});
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
              }
            });
    await().atMost(Duration.ofSeconds(30)).until(() -> load.answers().size() >= 500);
    mariadb.freeze();
    long frozenAt = System.nanoTime();
    await().atMost(Duration.ofSeconds(60)).until(() -> outboxAge(functions).toSeconds() >= 5);
    assertThat(gatewayMetric("couponflow_sink_outbox_pending")).isPositive();
    Thread.sleep(Math.max(0, Duration.ofSeconds(21).toMillis() - millisSince(frozenAt)));
    assertThat(gatewayMetric("resilience4j_circuitbreaker_state{name=\"mysql\",state=\"closed\"}"))
        .isZero();
    assertThat(
            gatewayMetric(
                "resilience4j_circuitbreaker_not_permitted_calls_total{kind=\"not_permitted\","
                    + "name=\"mysql\"}"))
        .isPositive();
    assertThat(gatewayMetric("couponflow_sink_outbox_oldest_age_seconds")).isGreaterThan(15.0);
    long answersDuringOutage = load.answers().size();
    mariadb.thaw();
    long thawedAt = System.nanoTime();

    while (millisSince(thawedAt) < 60_000) {
      CouponInspection now = functions.inspect(COUPON).join().orElseThrow();
      lag.add(new long[] {millisSince(thawedAt), now.pending(), now.oldestPendingAge().toMillis()});
      if (running.isDone() && now.pending() == 0) {
        break;
      }
      Thread.sleep(250);
    }
    running.get(60, TimeUnit.SECONDS);

    assertThat(answersDuringOutage).isGreaterThan(2_000);
    assertThat(load.byStatus()).doesNotContainKey(0).doesNotContainKey(503);
    assertLagShrinksSteadily(lag);
    assertExactlyTheAcceptedAndInvariants(load);
  }

  /**
   * Runs the load on another thread; once {@code after} answers are in, runs {@code fault} on this
   * one. Returns the running load.
   */
  private CompletableFuture<Void> loadUntil(
      Load load, int count, int after, int pauseEvery, Runnable fault) throws Exception {
    CountDownLatch reached = new CountDownLatch(1);
    CompletableFuture<Void> running =
        CompletableFuture.runAsync(
            () -> {
              try {
                load.run(
                    gateway.api("/"),
                    count,
                    32,
                    pauseEvery,
                    Duration.ZERO,
                    n -> {
                      if (n >= after) {
                        reached.countDown();
                      }
                    });
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
              }
            });
    assertThat(reached.await(90, TimeUnit.SECONDS)).isTrue();
    fault.run();
    return running;
  }

  /**
   * The lag (age of the oldest pending outbox entry) peaks after MySQL comes back, then shrinks: no
   * sample after the peak is older than the one before it by more than the sweeper's cadence, and
   * the outbox ends empty.
   */
  private static void assertLagShrinksSteadily(List<long[]> samples) {
    StringBuilder trace = new StringBuilder();
    samples.forEach(
        s -> trace.append(String.format("%n  t=%dms pending=%d age=%dms", s[0], s[1], s[2])));
    assertThat(samples).as("lag samples after thaw:%s", trace).isNotEmpty();
    assertThat(samples.get(samples.size() - 1)[1]).as("pending at the end:%s", trace).isZero();
    int peak = 0;
    for (int i = 1; i < samples.size(); i++) {
      if (samples.get(i)[2] > samples.get(peak)[2]) {
        peak = i;
      }
    }
    assertThat(samples.get(peak)[2]).as("peak lag:%s", trace).isGreaterThanOrEqualTo(15_000);
    for (int i = peak + 1; i < samples.size(); i++) {
      assertThat(samples.get(i)[2])
          .as("lag went up again after the peak:%s", trace)
          .isLessThanOrEqualTo(Math.max(samples.get(i - 1)[2], 2_500));
    }
    assertThat(samples.get(samples.size() - 1)[0]).as("catch-up time:%s", trace).isLessThan(45_000);
    System.out.printf(
        "MySQL outage: peak lag %d ms (%d pending) at %d ms after thaw; outbox empty %d ms after"
            + " thaw%n",
        samples.get(peak)[2],
        samples.get(peak)[1],
        samples.get(peak)[0],
        samples.get(samples.size() - 1)[0]);
  }

  private void assertExactlyTheAcceptedAndInvariants(Load load) throws Exception {
    CouponFunctions functions = redis.functions();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> functions.inspect(COUPON).join().orElseThrow().pending() == 0);

    List<String> accepted = load.accepted();
    List<String> stored = storedRedemptionIds();
    assertThat(stored).as("rows in MySQL = the 201 answers").containsExactlyElementsOf(accepted);
    assertThat(query("SELECT COUNT(DISTINCT idempotency_key) FROM redemption"))
        .isEqualTo(accepted.size());
    assertThat(query("SELECT COUNT(*) FROM dead_letter")).isZero();
    assertThat(
            query(
                "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) n FROM redemption"
                    + " WHERE status = 'ACCEPTED' GROUP BY user_id) t"))
        .isLessThanOrEqualTo(PER_USER);
    assertThat(
            query(
                "SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) n FROM redemption"
                    + " WHERE status = 'ACCEPTED' GROUP BY order_id) t"))
        .isLessThanOrEqualTo(1);
    long acceptedRows = query("SELECT COUNT(*) FROM redemption WHERE status = 'ACCEPTED'");
    long remaining = remainingStock();
    assertThat(remaining).isEqualTo(STOCK - acceptedRows).isGreaterThanOrEqualTo(0);
    CouponInspection live = functions.inspect(COUPON).join().orElseThrow();
    assertThat(live.coupon().accepted()).isEqualTo(acceptedRows);
    assertThat(live.coupon().stock()).isEqualTo(remaining);
  }

  private long remainingStock() throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(gateway.api("/v1/coupons/" + COUPON)).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    Matcher m = Pattern.compile("\"remainingStock\":(\\d+)").matcher(r.body());
    assertThat(m.find()).as("remainingStock in %s", r.body()).isTrue();
    return Long.parseLong(m.group(1));
  }

  private double gatewayMetric(String series) {
    for (String line : gateway.metrics().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    throw new AssertionError("no metric " + series);
  }

  private static Duration outboxAge(CouponFunctions functions) {
    return functions
        .inspect(COUPON)
        .join()
        .map(CouponInspection::oldestPendingAge)
        .orElse(Duration.ZERO);
  }

  private List<String> storedRedemptionIds() throws Exception {
    List<String> ids = new ArrayList<>();
    try (Connection c = db.database().dataSource().getConnection();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT redemption_id FROM redemption ORDER BY redemption_id")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    ids.sort(null);
    return ids;
  }

  private long query(String sql) {
    return db.queryLong(sql);
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
