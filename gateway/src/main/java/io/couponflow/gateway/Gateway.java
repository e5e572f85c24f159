package io.couponflow.gateway;

import io.couponflow.core.live.CouponRepair;
import io.couponflow.gateway.coupon.CouponDefinitions;
import io.couponflow.gateway.coupon.CouponDirectory;
import io.couponflow.gateway.coupon.CouponEventListener;
import io.couponflow.gateway.coupon.HotCouponStock;
import io.couponflow.gateway.coupon.MySqlCouponDefinitions;
import io.couponflow.gateway.health.Health;
import io.couponflow.gateway.http.ApiInitializer;
import io.couponflow.gateway.http.HttpMetrics;
import io.couponflow.gateway.http.HttpServer;
import io.couponflow.gateway.http.InFlight;
import io.couponflow.gateway.http.ManagementHandler;
import io.couponflow.gateway.http.ManagementInitializer;
import io.couponflow.gateway.http.ReloadingSslContext;
import io.couponflow.gateway.http.SharedRedisLoops;
import io.couponflow.gateway.redeem.RedemptionService;
import io.couponflow.gateway.resilience.Breakers;
import io.couponflow.gateway.resilience.RedisGuard;
import io.couponflow.gateway.security.SecuritySettings;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.RedisStore;
import io.couponflow.sink.Sink;
import io.couponflow.sql.Database;
import io.couponflow.sql.Migrations;
import io.couponflow.sql.MySqlFailures;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway process, wired by hand: Redis, MySQL, the sink, the coupon tier, the API and the
 * management port. {@link #start} brings it up; {@link #stop} takes it down without losing an
 * accepted redemption.
 */
public final class Gateway implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final Duration METRICS_REFRESH = Duration.ofSeconds(5);

  private final GatewayConfig config;
  private final PrometheusMeterRegistry registry;
  private final Database database;
  private final RedisStore redis;
  private final ExecutorService blocking;
  private final Sink sink;
  private final CouponEventListener events;
  private final InFlight inFlight;
  private final HttpServer api;
  private final HttpServer management;
  private final ReloadingSslContext apiTls;
  private final ReloadingSslContext managementTls;
  private final int apiPort;
  private final int managementPort;
  private final AtomicBoolean stopped = new AtomicBoolean();

  private Gateway(GatewayConfig config, UnaryOperator<CouponDefinitions> definitionsDecorator) {
    this.config = config;
    this.registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
    // TLS files first: a certificate that cannot be used stops the gateway before it connects.
    SecuritySettings security = config.security();
    this.apiTls =
        security
            .apiTls()
            .map(f -> ReloadingSslContext.load("api", f).bindTo(registry))
            .orElse(null);
    this.managementTls =
        security
            .managementTls()
            .map(f -> ReloadingSslContext.load("management", f).bindTo(registry))
            .orElse(null);

    this.database = Database.open(config.jdbc(), "couponflow-gateway");
    checkSchema();
    this.api = HttpServer.withThreads("API", config.ioThreads());
    this.redis = connectRedis(config, api);
    CouponLibrary.ensureLoaded(redis).join();
    warnAboutRedisDurability();

    this.blocking =
        Executors.newFixedThreadPool(config.jdbc().poolSize(), daemonThreads("couponflow-mysql"));
    CouponFunctions functions = new CouponFunctions(redis, config.idempotencyRetention());
    this.sink = new Sink(config.sink(), database, functions, registry);
    Breakers breakers = new Breakers(config.breakers(), registry);
    RedisGuard guard = new RedisGuard(breakers.redis(), registry);
    CouponDirectory coupons =
        new CouponDirectory(
            functions,
            guard,
            definitionsDecorator.apply(new MySqlCouponDefinitions(database)),
            new CouponRepair(functions, database.sessions()),
            () -> sink.awaitDrained(config.repairWait()),
            breakers.mysql(),
            blocking,
            config.cacheRefresh(),
            config.negativeCacheTtl(),
            config.soldOutHint(),
            registry);
    RedemptionService service =
        new RedemptionService(
            functions,
            guard,
            coupons,
            sink,
            config.repairWait(),
            config.durability(),
            config.durabilityWait());
    this.events = new CouponEventListener(redis, coupons);
    events.warmHotSet(Duration.ofSeconds(10));
    this.inFlight = new InFlight(config.maxInFlight());
    sink.start();

    logSecurity(security);
    this.apiPort =
        api.bind(
            security.httpHost(),
            config.httpPort(),
            new ApiInitializer(
                config,
                service,
                new HttpMetrics(registry),
                inFlight,
                api.connections(),
                apiTls,
                security.mutualTls() ? security.clientRoles() : null));
    this.management = HttpServer.withThreads("Management", 1);
    Health health = new Health(redis, database, sink, blocking, inFlight::isDraining, registry);
    this.managementPort =
        management.bind(
            config.managementHost(),
            config.managementPort(),
            new ManagementInitializer(new ManagementHandler(health, registry), managementTls));
    for (ReloadingSslContext tls : new ReloadingSslContext[] {apiTls, managementTls}) {
      if (tls != null) {
        tls.startWatching(ReloadingSslContext.POLL);
      }
    }
    // The health and hot-coupon gauges stay current even when nothing probes: a check is
    // asynchronous, and so are the stock reads, so the management loop runs both.
    HotCouponStock stock = new HotCouponStock(coupons, functions, registry);
    management.runEvery(
        METRICS_REFRESH,
        () -> {
          try {
            health.check();
            stock.publish();
          } catch (RuntimeException e) {
            log.debug("Could not refresh the health and stock gauges: {}", e.toString());
          }
        });
  }

  /** Says at start how callers reach the API: TLS, client certificates and roles, or plain text. */
  private void logSecurity(SecuritySettings security) {
    if (apiTls != null) {
      log.info("API TLS by {}: {}", apiTls.providerDescription(), apiTls.describe());
      if (security.mutualTls()) {
        if (security.clientRoles().isEmpty()) {
          log.warn(
              "COUPON_HTTP_CLIENT_ROLES is unset: every trusted client certificate has no role, and"
                  + " every request is answered 403 FORBIDDEN");
        } else {
          log.info("API client roles (COUPON_HTTP_CLIENT_ROLES): {}", security.clientRoles());
        }
      }
    } else if (security.servesPlaintextBeyondLoopback()) {
      log.warn(
          "The API serves plain text on {} (COUPON_HTTP_HOST), beyond loopback, because"
              + " COUPON_HTTP_ALLOW_PLAINTEXT=true: whoever reaches it may redeem, reverse and read."
              + " Terminate TLS in front of it, or set COUPON_HTTP_TLS_CERT_FILE and"
              + " COUPON_HTTP_TLS_KEY_FILE",
          security.httpHost());
    }
    if (managementTls != null) {
      log.info(
          "Management TLS by {}: {}",
          managementTls.providerDescription(),
          managementTls.describe());
    }
  }

  public static Gateway start(GatewayConfig config) {
    return new Gateway(config, UnaryOperator.identity());
  }

  /** Starts with the MySQL definition reads passed through {@code decorator} (tests count them). */
  static Gateway start(GatewayConfig config, UnaryOperator<CouponDefinitions> decorator) {
    return new Gateway(config, decorator);
  }

  public int apiPort() {
    return apiPort;
  }

  public int managementPort() {
    return managementPort;
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  private void checkSchema() {
    try {
      Migrations.requireCurrent(database.dataSource());
    } catch (Migrations.SchemaBehindException e) {
      database.close();
      throw e;
    } catch (RuntimeException e) {
      // A MySQL that answered but refused this configuration (no such database, wrong
      // credentials) is not an outage to ride out: the gateway stops rather than fill the outbox
      // for a database that will never take it.
      Optional<String> misconfigured = MySqlFailures.misconfiguration(e, config.jdbc());
      if (misconfigured.isPresent()) {
        database.close();
        throw new IllegalStateException(misconfigured.get(), e);
      }
      log.warn(
          "MySQL at {} cannot be reached to check the schema ({}); starting anyway: redemptions go on"
              + " and the outbox holds them until MySQL is back",
          config.jdbc().address(),
          e.getMessage());
    }
  }

  private static RedisStore connectRedis(GatewayConfig config, HttpServer api) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      try {
        return RedisStore.connect(
            config.redis(), SharedRedisLoops.resources(api, config.ioThreads()));
      } catch (RuntimeException e) {
        if (System.nanoTime() > deadline) {
          api.close();
          throw new IllegalStateException(
              "Redis at " + config.redis().describe() + " is unreachable: " + e.getMessage(), e);
        }
        log.warn(
            "Redis at {} is unreachable ({}); retrying", config.redis().describe(), e.getMessage());
        try {
          Thread.sleep(1000);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", ie);
        }
      }
    }
  }

  private void warnAboutRedisDurability() {
    try {
      String policy = redis.config("maxmemory-policy").get(2, TimeUnit.SECONDS).orElse(null);
      if (!"noeviction".equals(policy)) {
        log.warn(
            "Redis maxmemory-policy is {}; set it to noeviction, or Redis may evict coupon state under memory pressure",
            policy);
      }
      String aof = redis.config("appendonly").get(2, TimeUnit.SECONDS).orElse(null);
      if (!"yes".equals(aof)) {
        log.warn(
            "Redis runs without AOF (appendonly {}): if Redis crashes, the redemptions it accepted last are lost"
                + " together with their stock. Turn on appendonly for production.",
            aof);
      }
    } catch (Exception e) {
      log.info(
          "Could not read Redis configuration ({}); check maxmemory-policy and appendonly yourself",
          e.toString());
    }
  }

  /**
   * Stops without losing anything: stop accepting connections and turn new requests away (503,
   * {@code Connection: close}), let the requests in flight be answered, close the connections,
   * write the queue to MySQL, then close. Whatever cannot be written stays in the Redis outbox.
   * Only the first call does anything.
   */
  public void stop() {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    log.info("Stopping: no new connections; waiting for {} in-flight requests", inFlight.current());
    inFlight.startDraining();
    api.stopAccepting();
    long deadline = System.nanoTime() + config.shutdownGrace().toNanos();
    while (inFlight.current() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (inFlight.current() > 0) {
      log.warn(
          "{} requests still in flight after the grace period; their redemptions, if accepted,"
              + " are in the outbox",
          inFlight.current());
    }
    api.closeConnections(Duration.ofSeconds(2));
    sink.stop(
        Duration.ofNanos(Math.max(Duration.ofSeconds(1).toNanos(), deadline - System.nanoTime())));
    management.close();
    if (apiTls != null) {
      apiTls.close();
    }
    if (managementTls != null) {
      managementTls.close();
    }
    events.close();
    redis.close();
    api.close();
    blocking.shutdownNow();
    database.close();
    log.info("Stopped");
  }

  @Override
  public void close() {
    stop();
  }

  private static ThreadFactory daemonThreads(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
