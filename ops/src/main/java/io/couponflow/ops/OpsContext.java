package io.couponflow.ops;

import io.couponflow.config.Env;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.RedisSettings;
import io.couponflow.lua.RedisStore;
import io.couponflow.sql.Database;
import io.couponflow.sql.JdbcSettings;
import java.time.Duration;

/**
 * What a command talks to, opened on first use from the COUPON_* environment and closed when the
 * command ends. Thread-safety: one command thread.
 */
public final class OpsContext implements AutoCloseable {
  private final Env env;
  private Database database;
  private RedisStore redis;
  private CouponFunctions functions;

  public OpsContext(Env env) {
    this.env = env;
  }

  public Env env() {
    return env;
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
      functions =
          new CouponFunctions(
              redis(),
              env.duration(
                  "COUPON_IDEMPOTENCY_RETENTION",
                  Duration.ofHours(24),
                  Duration.ofHours(24),
                  Duration.ofDays(3650)));
    }
    return functions;
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
