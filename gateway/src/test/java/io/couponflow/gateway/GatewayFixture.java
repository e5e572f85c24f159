package io.couponflow.gateway;

import io.couponflow.config.Env;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.ibatis.session.SqlSession;

/**
 * A gateway running in the test's JVM against the test Redis (a prefix of its own) and a MySQL
 * database of its own, on free ports.
 */
public final class GatewayFixture implements AutoCloseable {
  private final TestDatabase db;
  private final RedisFixture redis;
  private final Gateway gateway;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private GatewayFixture(Class<?> testClass, Map<String, String> extra) {
    this.db = TestDatabase.create(testClass);
    this.redis = RedisFixture.create(testClass);
    Map<String, String> env = new HashMap<>();
    env.put("COUPON_HTTP_PORT", "0");
    env.put("COUPON_MANAGEMENT_PORT", "0");
    env.put("COUPON_JDBC_URL", db.settings().url());
    env.put("COUPON_REDIS_URI", io.couponflow.testkit.TestSettings.redisUri());
    env.put("COUPON_REDIS_PREFIX", redis.prefix());
    env.putAll(extra);
    this.gateway = Gateway.start(GatewayConfig.from(Env.of(env)));
  }

  public static GatewayFixture start(Class<?> testClass) {
    return new GatewayFixture(testClass, Map.of());
  }

  public static GatewayFixture start(Class<?> testClass, Map<String, String> env) {
    return new GatewayFixture(testClass, env);
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
    Coupon coupon =
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
            1);
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class).insert(coupon);
    }
    return coupon;
  }

  public HttpResponse<String> redeem(
      String key, long couponId, String user, String order, long amount) {
    String body =
        "{\"couponId\":"
            + couponId
            + ",\"userId\":\""
            + user
            + "\",\"orderId\":\""
            + order
            + "\",\"orderAmountCents\":"
            + amount
            + "}";
    return send(
        HttpRequest.newBuilder(api("/v1/redemptions"))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
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

  @Override
  public void close() {
    gateway.stop();
    redis.close();
    db.close();
  }
}
