package io.couponflow.ops;

import io.couponflow.config.Env;
import io.couponflow.config.IdempotencyRetention;
import io.couponflow.config.JdbcSettings;
import io.couponflow.config.RedisSettings;
import io.couponflow.core.Await;
import io.couponflow.core.admin.CouponAdmin;
import io.couponflow.core.admin.InvalidCouponException;
import io.couponflow.core.live.CouponRepair;
import io.couponflow.core.live.DirectCoupons;
import io.couponflow.core.live.LiveCoupons;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.RedisStore;
import io.couponflow.model.Coupon;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sink.Sink;
import io.couponflow.sink.SinkSettings;
import io.couponflow.sql.Database;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * What a command talks to, opened on first use from the COUPON_* environment and closed when the
 * command ends. Thread-safety: one thread at a time, the command's, or a use case's blocking step
 * on {@link #blocking()} while the command waits for it.
 */
public final class OpsContext implements AutoCloseable {
  /** How long the CLI waits for one Redis answer before it gives up. */
  static final Duration REDIS_WAIT = Duration.ofSeconds(30);

  private final Env env;
  private Database database;
  private RedisStore redis;
  private CouponFunctions functions;
  private BatchWriter writer;
  private ExecutorService blocking;

  public OpsContext(Env env) {
    this.env = env;
  }

  public JdbcSettings jdbc() {
    return JdbcSettings.from(env);
  }

  public Database database() {
    if (database == null) {
      database = Database.open(jdbc(), "couponflow-ops");
    }
    return database;
  }

  public RedisStore redis() {
    if (redis == null) {
      RedisSettings settings = RedisSettings.from(env);
      try {
        redis = RedisStore.connect(settings);
      } catch (RuntimeException e) {
        throw new OpsException(
            "Redis at " + settings.describe() + " is unreachable: " + e.getMessage());
      }
      CouponLibrary.ensureLoaded(redis).join();
    }
    return redis;
  }

  public CouponFunctions functions() {
    if (functions == null) {
      functions = new CouponFunctions(redis(), IdempotencyRetention.from(env).duration());
    }
    return functions;
  }

  /** The sink's writer: stores outbox entries in MySQL, then deletes them from the outbox. */
  public BatchWriter writer() {
    if (writer == null) {
      writer =
          Sink.standaloneWriter(
              SinkSettings.from(env), database(), functions(), new SimpleMeterRegistry());
    }
    return writer;
  }

  /** Coupon administration (create, pause, resume, restock), waiting for Redis as the CLI does. */
  public CouponAdmin admin() {
    return new CouponAdmin(functions(), database().sessions(), REDIS_WAIT);
  }

  /**
   * Who runs the command, for the use cases that will audit operator writes: COUPON_OPERATOR, or
   * the OS user.
   */
  public String operator() {
    return env.string("COUPON_OPERATOR", System.getProperty("user.name"));
  }

  /** Runs the blocking steps (MySQL, repairs) of a use case off the Redis client's threads. */
  public Executor blocking() {
    if (blocking == null) {
      blocking =
          Executors.newCachedThreadPool(
              task -> {
                Thread thread = new Thread(task, "couponflow-ops-blocking");
                thread.setDaemon(true);
                return thread;
              });
    }
    return blocking;
  }

  /** The coupons the use cases run on: asked of Redis each time, made live from MySQL. */
  public LiveCoupons liveCoupons() {
    return new DirectCoupons(
        functions(),
        new CouponRepair(functions(), database().sessions()),
        this::findCoupon,
        blocking());
  }

  /**
   * The coupon as MySQL defines it.
   *
   * @throws OpsException naming the coupon and the field when its row is no valid coupon
   */
  public Optional<Coupon> findCoupon(long couponId) {
    try {
      return CouponAdmin.find(database().sessions(), couponId);
    } catch (InvalidCouponException e) {
      throw new OpsException(e.getMessage());
    }
  }

  /** The coupon as MySQL defines it, or a refusal naming it. */
  public Coupon requireCoupon(long couponId) {
    return findCoupon(couponId)
        .orElseThrow(() -> new OpsException("coupon " + couponId + " does not exist"));
  }

  /** Tells every gateway to drop and reload its cached copy of the coupon. */
  public void publishChanged(long couponId) {
    await(functions().publishChanged(couponId));
  }

  /** Waits for a Redis call, with the CLI's patience, and rethrows what it failed with. */
  public static <T> T await(CompletableFuture<T> future) {
    return Await.of(future, REDIS_WAIT);
  }

  @Override
  public void close() {
    if (blocking != null) {
      blocking.shutdownNow();
    }
    if (redis != null) {
      redis.close();
    }
    if (database != null) {
      database.close();
    }
  }
}
