package io.couponflow.ops;

import io.couponflow.config.Env;
import io.couponflow.config.IdempotencyRetention;
import io.couponflow.config.JdbcSettings;
import io.couponflow.config.RedisSettings;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.RedisStore;
import io.couponflow.model.Coupon;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sink.Sink;
import io.couponflow.sink.SinkSettings;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.CouponRow;
import io.couponflow.sql.Database;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.ibatis.session.SqlSession;

/**
 * What a command talks to, opened on first use from the COUPON_* environment and closed when the
 * command ends. Thread-safety: one command thread.
 */
public final class OpsContext implements AutoCloseable {
  /** How long the CLI waits for one Redis answer before it gives up. */
  static final Duration REDIS_WAIT = Duration.ofSeconds(30);

  private final Env env;
  private Database database;
  private RedisStore redis;
  private CouponFunctions functions;
  private BatchWriter writer;

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

  /**
   * The coupon as MySQL defines it.
   *
   * @throws OpsException naming the coupon and the field when its row is no valid coupon
   */
  public Optional<Coupon> findCoupon(long couponId) {
    Optional<CouponRow> row;
    try (SqlSession session = database().sessions().openSession(true)) {
      row = session.getMapper(CouponMapper.class).findRowById(couponId);
    }
    try {
      return row.map(CouponRow::toCoupon);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new OpsException(
          "coupon " + couponId + ": its definition in MySQL is invalid: " + e.getMessage());
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
    try {
      return future.get(REDIS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OpsException("interrupted");
    } catch (TimeoutException e) {
      throw new OpsException("Redis did not answer within " + Env.human(REDIS_WAIT));
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException runtime) {
        throw runtime;
      }
      throw new IllegalStateException(cause);
    }
  }

  @Override
  public void close() {
    if (redis != null) {
      redis.close();
    }
    if (database != null) {
      database.close();
    }
  }
}
