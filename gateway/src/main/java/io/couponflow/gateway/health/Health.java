package io.couponflow.gateway.health;

import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.RedisStore;
import io.couponflow.sink.Sink;
import io.couponflow.sql.Database;
import io.lettuce.core.ScriptOutputType;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
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

  private final RedisStore redis;
  private final Database database;
  private final Sink sink;
  private final Executor blocking;
  private final BooleanSupplier stopping;

  /**
   * @param stopping true once shutdown has begun: the gateway is then not ready
   */
  public Health(
      RedisStore redis, Database database, Sink sink, Executor blocking, BooleanSupplier stopping) {
    this.redis = redis;
    this.database = database;
    this.sink = sink;
    this.blocking = blocking;
    this.stopping = stopping;
  }

  public CompletableFuture<Report> check() {
    CompletableFuture<State> redisState =
        redis
            .commands()
            .<Long>fcallReadOnly("cf_version", ScriptOutputType.INTEGER, new String[0])
            .toCompletableFuture()
            .orTimeout(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
            .thenApply(v -> v >= CouponLibrary.version() ? State.UP : State.DOWN)
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
          return new Report(r == State.UP && !stopping.getAsBoolean(), components);
        });
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
