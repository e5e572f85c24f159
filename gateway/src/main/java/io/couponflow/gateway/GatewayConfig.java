package io.couponflow.gateway;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import io.couponflow.config.IdempotencyRetention;
import io.couponflow.config.JdbcSettings;
import io.couponflow.config.RedisSettings;
import io.couponflow.gateway.redeem.Durability;
import io.couponflow.gateway.resilience.BreakerSettings;
import io.couponflow.gateway.security.SecuritySettings;
import io.couponflow.sink.SinkSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the gateway reads from its environment; each COUPON_* name is in the README's
 * configuration table. Built once at start; a bad value stops the process with a message naming the
 * variable.
 *
 * @param httpPort the API's port (COUPON_HTTP_PORT)
 * @param managementHost where health and metrics listen (COUPON_MANAGEMENT_HOST, loopback)
 * @param managementPort (COUPON_MANAGEMENT_PORT)
 * @param ioThreads Netty event loops (COUPON_HTTP_IO_THREADS), shared by the API and its Redis
 *     connections; by default half the cores, at least one (one on a 2-core box, where Redis and
 *     MySQL need the other core)
 * @param maxBodyBytes largest request body accepted (COUPON_HTTP_MAX_BODY_BYTES)
 * @param maxLineBytes longest request line accepted (COUPON_HTTP_MAX_LINE_BYTES)
 * @param maxHeaderBytes largest header block accepted (COUPON_HTTP_MAX_HEADER_BYTES)
 * @param idleTimeout a connection with no traffic this long is closed (COUPON_HTTP_IDLE_TIMEOUT)
 * @param requestTimeout a request not fully received this long after it began is cut
 *     (COUPON_HTTP_REQUEST_TIMEOUT)
 * @param maxInFlight requests being processed at once, beyond which 503 (COUPON_HTTP_MAX_IN_FLIGHT)
 * @param idempotencyRetention how long, at least, an accepted key is remembered
 *     (COUPON_IDEMPOTENCY_RETENTION; never less than 24h)
 * @param cacheRefresh how often cached coupon metadata is refreshed from Redis
 *     (COUPON_CACHE_REFRESH)
 * @param negativeCacheTtl how long an unknown coupon id is answered locally
 *     (COUPON_CACHE_NEGATIVE_TTL)
 * @param soldOutHint how long a sold-out coupon's ledger answers SOLD_OUT locally; 0 turns the
 *     hints off (COUPON_CACHE_SOLD_OUT_HINT)
 * @param shutdownGrace how long SIGTERM waits for in-flight requests and the queue
 *     (COUPON_SHUTDOWN_GRACE)
 * @param repairWait how long a request for a fenced coupon waits for its repair from MySQL before
 *     it is answered 503 (COUPON_REPAIR_WAIT)
 * @param durability when a redemption is answered 201: once Redis accepted it, or once MySQL stored
 *     it too (COUPON_DURABILITY)
 * @param durabilityWait with {@code mysql} durability, how long an accepted redemption waits for
 *     MySQL before it is answered 503 (COUPON_DURABILITY_WAIT)
 * @param breakers when the Redis and MySQL circuit breakers open (COUPON_BREAKER_*)
 * @param security the API's bind address, TLS, client certificates and their roles, and the
 *     management port's TLS (COUPON_HTTP_HOST, COUPON_HTTP_ALLOW_PLAINTEXT, COUPON_HTTP_TLS_*,
 *     COUPON_HTTP_CLIENT_ROLES, COUPON_MANAGEMENT_TLS_*)
 */
public record GatewayConfig(
    int httpPort,
    String managementHost,
    int managementPort,
    int ioThreads,
    int maxBodyBytes,
    int maxLineBytes,
    int maxHeaderBytes,
    Duration idleTimeout,
    Duration requestTimeout,
    int maxInFlight,
    Duration idempotencyRetention,
    Duration cacheRefresh,
    Duration negativeCacheTtl,
    Duration soldOutHint,
    Duration shutdownGrace,
    Duration repairWait,
    Durability durability,
    Duration durabilityWait,
    BreakerSettings breakers,
    RedisSettings redis,
    JdbcSettings jdbc,
    SinkSettings sink,
    SecuritySettings security) {

  /** Refuses settings that make no sense, naming the variable (the gateway stops at start). */
  public GatewayConfig {
    Env.require("COUPON_HTTP_PORT", httpPort, 0, 65_535);
    Objects.requireNonNull(managementHost, "COUPON_MANAGEMENT_HOST");
    Env.require("COUPON_MANAGEMENT_PORT", managementPort, 0, 65_535);
    if (httpPort != 0 && httpPort == managementPort) {
      throw new ConfigException(
          "COUPON_MANAGEMENT_PORT: "
              + managementPort
              + " is COUPON_HTTP_PORT too (expected: a port of its own, or 0 for any free one)");
    }
    Env.require("COUPON_HTTP_IO_THREADS", ioThreads, 1, 64);
    Env.require("COUPON_HTTP_MAX_BODY_BYTES", maxBodyBytes, 256, 1 << 20);
    Env.require("COUPON_HTTP_MAX_LINE_BYTES", maxLineBytes, 256, 65_536);
    Env.require("COUPON_HTTP_MAX_HEADER_BYTES", maxHeaderBytes, 1024, 65_536);
    Env.require(
        "COUPON_HTTP_IDLE_TIMEOUT", idleTimeout, Duration.ofSeconds(1), Duration.ofHours(1));
    Env.require(
        "COUPON_HTTP_REQUEST_TIMEOUT",
        requestTimeout,
        Duration.ofMillis(100),
        Duration.ofMinutes(10));
    Env.require("COUPON_HTTP_MAX_IN_FLIGHT", maxInFlight, 1, 1_000_000);
    IdempotencyRetention.require(idempotencyRetention);
    Env.require("COUPON_CACHE_REFRESH", cacheRefresh, Duration.ofMillis(50), Duration.ofHours(1));
    Env.require("COUPON_CACHE_NEGATIVE_TTL", negativeCacheTtl, Duration.ZERO, Duration.ofHours(1));
    Env.require("COUPON_CACHE_SOLD_OUT_HINT", soldOutHint, Duration.ZERO, Duration.ofMinutes(10));
    Env.require("COUPON_SHUTDOWN_GRACE", shutdownGrace, Duration.ZERO, Duration.ofMinutes(10));
    Env.require("COUPON_REPAIR_WAIT", repairWait, Duration.ZERO, Duration.ofSeconds(30));
    Objects.requireNonNull(durability, "COUPON_DURABILITY");
    Env.require(
        "COUPON_DURABILITY_WAIT", durabilityWait, Duration.ofMillis(10), Duration.ofSeconds(60));
    Objects.requireNonNull(breakers, "breakers");
    Objects.requireNonNull(redis, "redis");
    Objects.requireNonNull(jdbc, "jdbc");
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(security, "security");
  }

  /** Half the cores, at least one. */
  public static int defaultIoThreads() {
    return Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  }

  public static GatewayConfig from(Env env) {
    env.logLevel("INFO");
    return new GatewayConfig(
        env.integer("COUPON_HTTP_PORT", 8080),
        env.host("COUPON_MANAGEMENT_HOST", "127.0.0.1"),
        env.integer("COUPON_MANAGEMENT_PORT", 8081),
        env.integer("COUPON_HTTP_IO_THREADS", defaultIoThreads()),
        env.integer("COUPON_HTTP_MAX_BODY_BYTES", 4096),
        env.integer("COUPON_HTTP_MAX_LINE_BYTES", 2048),
        env.integer("COUPON_HTTP_MAX_HEADER_BYTES", 8192),
        env.duration("COUPON_HTTP_IDLE_TIMEOUT", Duration.ofSeconds(60)),
        env.duration("COUPON_HTTP_REQUEST_TIMEOUT", Duration.ofSeconds(10)),
        env.integer("COUPON_HTTP_MAX_IN_FLIGHT", 10_000),
        IdempotencyRetention.from(env).duration(),
        env.duration("COUPON_CACHE_REFRESH", Duration.ofSeconds(2)),
        env.duration("COUPON_CACHE_NEGATIVE_TTL", Duration.ofSeconds(2)),
        env.duration("COUPON_CACHE_SOLD_OUT_HINT", Duration.ofSeconds(1)),
        env.duration("COUPON_SHUTDOWN_GRACE", Duration.ofSeconds(20)),
        env.duration("COUPON_REPAIR_WAIT", Duration.ofSeconds(1)),
        Durability.of(env.oneOf("COUPON_DURABILITY", "redis", "redis", "mysql")),
        env.duration("COUPON_DURABILITY_WAIT", Duration.ofSeconds(2)),
        BreakerSettings.from(env),
        RedisSettings.from(env),
        JdbcSettings.from(env),
        SinkSettings.from(env),
        SecuritySettings.from(env));
  }
}
