package io.couponflow.gateway.health;

import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.RedisStore;
import io.couponflow.sink.Sink;
import io.couponflow.sql.Database;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Readiness: Redis must answer and hold the couponflow library (without it nothing can be decided),
 * and the gateway must not be shutting down; MySQL and the sink are reported but do not make the
 * gateway unready, because accepting goes on through a MySQL outage (the outbox holds what MySQL
 * cannot take yet).
 *
 * <p>Redis is asked on every master (the one server when not on a cluster). A master that answers
 * without the library, or with an older one, gets it loaded by the check, as by any call that finds
 * it missing, and is asked again. Redis is then UP when every master holds the library; DEGRADED,
 * and still ready, when some masters hold it and the others cannot be reached (a master is down and
 * its replica has not taken over yet: its coupons fail on every gateway alike, the rest are
 * served); DOWN, and not ready, when no master answers or one answers without the library.
 *
 * <p>Metrics: the latest answer, whoever asked (a probe, or the gateway's own check every few
 * seconds), is exported as {@code couponflow.health.ready} (1 or 0) and {@code
 * couponflow.health.component{component, state}} (1 for the component's state, 0 for the others).
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class Health {
  /** UP, DOWN or DEGRADED. */
  public enum State {
    UP,
    DOWN,
    DEGRADED
  }

  /** One readiness answer. */
  public record Report(boolean ready, Map<String, State> components) {}

  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final List<String> COMPONENTS = List.of("redis", "mysql", "sink");

  private final RedisStore redis;
  private final Database database;
  private final Sink sink;
  private final Executor blocking;
  private final BooleanSupplier stopping;
  private volatile Report latest = new Report(false, Map.of());

  /**
   * @param stopping true once shutdown has begun: the gateway is then not ready
   * @param registry receives the gauges of the latest answer
   */
  public Health(
      RedisStore redis,
      Database database,
      Sink sink,
      Executor blocking,
      BooleanSupplier stopping,
      MeterRegistry registry) {
    this.redis = redis;
    this.database = database;
    this.sink = sink;
    this.blocking = blocking;
    this.stopping = stopping;
    Gauge.builder("couponflow.health.ready", this, h -> h.latest.ready() ? 1 : 0)
        .description("1 when the latest readiness check found the gateway ready, else 0")
        .register(registry);
    for (String component : COMPONENTS) {
      for (State state : State.values()) {
        Gauge.builder(
                "couponflow.health.component",
                this,
                h -> h.latest.components().get(component) == state ? 1 : 0)
            .description(
                "1 when the latest readiness check found the component (redis, mysql, sink) in"
                    + " the state (UP, DOWN, DEGRADED), else 0")
            .tag("component", component)
            .tag("state", state.name())
            .register(registry);
      }
    }
  }

  public CompletableFuture<Report> check() {
    CompletableFuture<State> redisState =
        libraryOnEveryMaster()
            .thenCompose(
                first ->
                    first.contains(Library.MISSING)
                        ? CouponLibrary.ensureLoaded(redis)
                            .handle((v, e) -> null)
                            .thenCompose(v -> libraryOnEveryMaster())
                        : CompletableFuture.completedFuture(first))
            .thenApply(Health::redisState)
            .orTimeout(TIMEOUT.multipliedBy(3).toMillis(), TimeUnit.MILLISECONDS)
            .exceptionally(e -> State.DOWN);
    CompletableFuture<State> mysqlState =
        CompletableFuture.supplyAsync(this::pingMySql, blocking)
            .orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .exceptionally(e -> State.DOWN);
    return redisState.thenCombine(
        mysqlState,
        (r, m) -> {
          Map<String, State> components = new LinkedHashMap<>();
          components.put("redis", r);
          components.put("mysql", m);
          components.put("sink", sinkState(m));
          Report report = new Report(r != State.DOWN && !stopping.getAsBoolean(), components);
          latest = report;
          return report;
        });
  }

  /** What one master says about the library. */
  private enum Library {
    LOADED,
    MISSING,
    UNREACHABLE
  }

  private CompletableFuture<List<Library>> libraryOnEveryMaster() {
    return CouponLibrary.versions(redis, TIMEOUT)
        .thenApply(replies -> replies.stream().map(Health::library).toList());
  }

  /** A master that answers with no library (0) or an older one needs it loaded. */
  private static Library library(RedisStore.MasterReply<Integer> reply) {
    if (reply.failure() != null) {
      return Library.UNREACHABLE;
    }
    return reply.value() >= CouponLibrary.version() ? Library.LOADED : Library.MISSING;
  }

  private static State redisState(List<Library> masters) {
    if (masters.contains(Library.MISSING) || !masters.contains(Library.LOADED)) {
      return State.DOWN;
    }
    return masters.contains(Library.UNREACHABLE) ? State.DEGRADED : State.UP;
  }

  private State pingMySql() {
    try (Connection c = database.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.setQueryTimeout((int) TIMEOUT.toSeconds());
      s.execute("SELECT 1");
      return State.UP;
    } catch (Exception e) {
      return State.DOWN;
    }
  }

  private State sinkState(State mysql) {
    if (mysql != State.UP
        || sink.breaker().getState()
            != io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED) {
      return State.DEGRADED;
    }
    var queue = sink.queue();
    return queue.size() > queue.capacity() / 2 ? State.DEGRADED : State.UP;
  }
}
