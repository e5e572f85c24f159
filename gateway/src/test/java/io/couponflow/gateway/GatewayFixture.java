package io.couponflow.gateway;

import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import io.couponflow.gateway.coupon.CouponDefinitions;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import java.net.URI;
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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.apache.ibatis.session.SqlSession;

/**
 * A gateway running in the test's JVM against the test Redis (a prefix of its own) and a MySQL
 * database of its own, on free ports; or against private servers a fault test passes in.
 */
public final class GatewayFixture implements AutoCloseable {
  private final TestDatabase db;
  private final RedisFixture redis;
  private final Gateway gateway;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private GatewayFixture(Builder b) {
    this.db =
        b.mysqlServer == null
            ? TestDatabase.create(b.testClass)
            : TestDatabase.create(b.mysqlServer, b.testClass);
    this.redis =
        b.redisUri == null
            ? RedisFixture.create(b.testClass)
            : RedisFixture.create(b.redisUri, b.testClass);
    Map<String, String> env = new HashMap<>();
    env.put("COUPON_HTTP_PORT", "0");
    env.put("COUPON_MANAGEMENT_PORT", "0");
    env.put("COUPON_JDBC_URL", db.settings().url());
    env.put("COUPON_REDIS_URI", b.redisUri == null ? TestSettings.redisUri() : b.redisUri);
    env.put("COUPON_REDIS_PREFIX", redis.prefix());
    // Private servers a test just started are young: repair at once unless a test asks otherwise.
    env.put("COUPON_REPAIR_SETTLE", "0s");
    env.putAll(b.env);
    this.gateway = Gateway.start(GatewayConfig.from(Env.of(env)), b.definitions);
  }

  public static GatewayFixture start(Class<?> testClass) {
    return builder(testClass).start();
  }

  public static GatewayFixture start(Class<?> testClass, Map<String, String> env) {
    return builder(testClass).env(env).start();
  }

  public static Builder builder(Class<?> testClass) {
    return new Builder(testClass);
  }

  /** Options for a fixture. */
  public static final class Builder {
    private final Class<?> testClass;
    private final Map<String, String> env = new HashMap<>();
    private String redisUri;
    private JdbcSettings mysqlServer;
    private UnaryOperator<CouponDefinitions> definitions = UnaryOperator.identity();

    private Builder(Class<?> testClass) {
      this.testClass = testClass;
    }

    public Builder env(Map<String, String> values) {
      env.putAll(values);
      return this;
    }

    public Builder redis(String uri) {
      this.redisUri = uri;
      return this;
    }

    public Builder mysql(JdbcSettings server) {
      this.mysqlServer = server;
      return this;
    }

    public Builder definitions(UnaryOperator<CouponDefinitions> decorator) {
      this.definitions = decorator;
      return this;
    }

    public GatewayFixture start() {
      return new GatewayFixture(this);
    }
  }

  public TestDatabase db() {
    return db;
  }

  public RedisFixture redis() {
    return redis;
  }

  public Gateway gateway() {
    return gateway;
  }

  public int port() {
    return gateway.apiPort();
  }

  public URI api(String path) {
    return URI.create("http://127.0.0.1:" + gateway.apiPort() + path);
  }

  public URI management(String path) {
    return URI.create("http://127.0.0.1:" + gateway.managementPort() + path);
  }

  /** Defines a coupon in MySQL only; the gateway loads it into Redis on first use. */
  public Coupon createCoupon(
      long id, long stock, int perUserLimit, long thresholdCents, long discountCents) {
    Instant now = Instant.now();
    return createCoupon(
        new Coupon(
            id,
            "coupon " + id,
            stock,
            perUserLimit,
            thresholdCents,
            discountCents,
            now.minusSeconds(60),
            now.plusSeconds(3600),
            CouponStatus.ACTIVE,
            false,
            Coupon.bucketsFor(stock),
            1));
  }

  public Coupon createCoupon(Coupon coupon) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class).insert(coupon);
    }
    return coupon;
  }

  public static String redeemBody(long couponId, String user, String order, long amount) {
    return "{\"couponId\":"
        + couponId
        + ",\"userId\":\""
        + user
        + "\",\"orderId\":\""
        + order
        + "\",\"orderAmountCents\":"
        + amount
        + "}";
  }

  public HttpResponse<String> redeem(
      String key, long couponId, String user, String order, long amount) {
    return send(
        HttpRequest.newBuilder(api("/v1/redemptions"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(redeemBody(couponId, user, order, amount)))
            .build());
  }

  public HttpResponse<String> reverse(String redemptionId, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(api("/v1/redemptions/" + redemptionId + "/reversal"));
    if (body == null) {
      b.POST(HttpRequest.BodyPublishers.noBody());
    } else {
      b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    }
    return send(b.build());
  }

  public HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(api(path)).GET().build());
  }

  public HttpResponse<String> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public HttpClient http() {
    return http;
  }

  /** The Prometheus text the management port serves. */
  public String metrics() {
    return send(HttpRequest.newBuilder(management("/metrics")).GET().build()).body();
  }

  /**
   * Everything this test's Redis prefix and MySQL database hold, as text, once the sink has written
   * every outbox entry: equal snapshots mean no state changed.
   */
  public String state() {
    awaitOutboxDrained();
    return redisState() + "\n" + mysqlState();
  }

  /** Waits until no coupon of this prefix has an outbox entry left (the sink wrote them all). */
  public void awaitOutboxDrained() {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> redis.keys().stream().noneMatch(k -> k.endsWith(":x")));
  }

  /** Every key of the prefix with its type and whole content (TTLs left out); SCANs Redis. */
  public String redisState() {
    return describe(redis.keys());
  }

  /**
   * Like {@link #state()}, but reads only the keys of the given coupons by name instead of scanning
   * the whole shared Redis: cheap enough to call after every request.
   */
  public String state(long... couponIds) {
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> exists(outboxKeys(couponIds)) == 0);
    return describe(couponKeys(couponIds)) + "\n" + mysqlState();
  }

  private List<String> outboxKeys(long... couponIds) {
    List<String> keys = new ArrayList<>();
    for (long id : couponIds) {
      keys.add(base(id) + "x");
    }
    return keys;
  }

  private String base(long couponId) {
    return redis.prefix() + ":{" + couponId + "}:";
  }

  private long exists(List<String> keys) {
    try {
      return redis.commands().exists(keys.toArray(String[]::new)).get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private List<String> couponKeys(long... couponIds) {
    List<String> keys = new ArrayList<>();
    try {
      for (long id : couponIds) {
        String b = base(id);
        String buckets = redis.commands().hget(b + "m", "buckets").get(5, TimeUnit.SECONDS);
        keys.add(b + "m");
        keys.add(b + "h");
        keys.add(b + "x");
        for (int i = 0; i < (buckets == null ? 1 : Integer.parseInt(buckets)); i++) {
          keys.add(b + "u:" + i);
          keys.add(b + "o:" + i);
          keys.add(b + "i:" + i);
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return keys;
  }

  private String describe(List<String> keys) {
    Map<String, String> byKey = new TreeMap<>();
    var c = redis.commands();
    try {
      for (String key : keys) {
        String type = c.type(key).get(5, TimeUnit.SECONDS);
        String value =
            switch (type) {
              case "hash" -> new TreeMap<>(c.hgetall(key).get(5, TimeUnit.SECONDS)).toString();
              case "stream" ->
                  c
                      .xrange(key, io.lettuce.core.Range.create("-", "+"))
                      .get(5, TimeUnit.SECONDS)
                      .stream()
                      .map(m -> m.getId() + new TreeMap<>(m.getBody()))
                      .toList()
                      .toString();
              case "set" ->
                  new java.util.TreeSet<>(c.smembers(key).get(5, TimeUnit.SECONDS)).toString();
              case "string" -> c.get(key).get(5, TimeUnit.SECONDS);
              default -> type;
            };
        byKey.put(key, type + " " + value);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return byKey.toString();
  }

  /** Every table's row count and checksum. */
  public String mysqlState() {
    List<String> tables = new ArrayList<>();
    try (Connection conn = db.database().dataSource().getConnection();
        Statement s = conn.createStatement()) {
      try (ResultSet rs = s.executeQuery("SHOW TABLES")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      StringBuilder out = new StringBuilder();
      for (String table : tables) {
        if (table.startsWith("flyway")) {
          continue;
        }
        try (ResultSet rs = s.executeQuery("CHECKSUM TABLE `" + table + "`")) {
          rs.next();
          out.append(table).append('=').append(rs.getLong(2)).append(' ');
        }
      }
      return out.toString();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    gateway.stop();
    redis.close();
    db.close();
  }
}
