package io.couponflow.gateway.cluster;

import io.couponflow.config.Env;
import io.couponflow.gateway.Gateway;
import io.couponflow.gateway.GatewayConfig;
import io.couponflow.gateway.GatewayFixture;
import io.couponflow.model.Coupon;
import io.couponflow.sql.CouponMapper;
import io.couponflow.testkit.PrivateRedisCluster;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.ibatis.session.SqlSession;

/**
 * Several gateways in the test's JVM sharing one private 3-master Redis Cluster (under a key prefix
 * of the class's own) and one MySQL database, each on free ports, as several gateway processes
 * behind a load balancer would.
 */
final class ClusterGateways implements AutoCloseable {
  private final PrivateRedisCluster cluster;
  private final RedisFixture redis;
  private final TestDatabase db;
  private final List<Gateway> gateways = new ArrayList<>();
  private final List<Boolean> stopped = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  ClusterGateways(Class<?> testClass, int count, Map<String, String> extra) {
    this(testClass, PrivateRedisCluster.launch(3), count, extra);
  }

  /** Gateways on a cluster the caller launched; closing them closes it. */
  ClusterGateways(
      Class<?> testClass, PrivateRedisCluster cluster, int count, Map<String, String> extra) {
    this.cluster = cluster;
    try {
      this.redis = RedisFixture.create(cluster.uri(), testClass);
      this.db = TestDatabase.create(testClass);
      Map<String, String> env = new HashMap<>();
      env.put("COUPON_HTTP_PORT", "0");
      env.put("COUPON_MANAGEMENT_PORT", "0");
      env.put("COUPON_JDBC_URL", db.settings().url());
      env.put("COUPON_REDIS_URI", cluster.uri());
      env.put("COUPON_REDIS_PREFIX", redis.prefix());
      env.putAll(extra);
      for (int i = 0; i < count; i++) {
        gateways.add(Gateway.start(GatewayConfig.from(Env.of(env))));
        stopped.add(false);
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  PrivateRedisCluster cluster() {
    return cluster;
  }

  RedisFixture redis() {
    return redis;
  }

  TestDatabase db() {
    return db;
  }

  Gateway gateway(int index) {
    return gateways.get(index);
  }

  /** Stops one gateway the way SIGTERM does: graceful, waiting for in-flight requests. */
  synchronized void stop(int index) {
    if (!stopped.get(index)) {
      stopped.set(index, true);
      gateways.get(index).stop();
    }
  }

  void createCoupon(Coupon coupon) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class).insert(coupon);
    }
  }

  URI api(int gateway, String path) {
    return URI.create("http://127.0.0.1:" + gateways.get(gateway).apiPort() + path);
  }

  HttpResponse<String> redeem(
      int gateway, String key, long couponId, String user, String order, long amount)
      throws Exception {
    return http.send(
        HttpRequest.newBuilder(api(gateway, "/v1/redemptions"))
            .timeout(Duration.ofSeconds(10))
            .header("Content-Type", "application/json")
            .header("Idempotency-Key", key)
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    GatewayFixture.redeemBody(couponId, user, order, amount)))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** {@code GET /health/ready} on a gateway's management port. */
  HttpResponse<String> ready(int gateway) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:" + gateways.get(gateway).managementPort() + "/health/ready"))
            .timeout(Duration.ofSeconds(10))
            .GET()
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> get(int gateway, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(api(gateway, path)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() {
    for (int i = 0; i < gateways.size(); i++) {
      stop(i);
    }
    if (redis != null) {
      redis.close();
    }
    if (db != null) {
      db.close();
    }
    cluster.close();
  }
}
