package io.couponflow.preheat;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import io.couponflow.config.IdempotencyRetention;
import io.couponflow.config.JdbcSettings;
import io.couponflow.config.RedisSettings;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything the preheat job reads from its environment; each COUPON_* name is in the README's
 * configuration table. A bad value stops the job with a message naming the variable.
 *
 * @param snapshot the last good snapshot (COUPON_PREHEAT_SNAPSHOT)
 * @param batch coupons per MySQL page and per pipelined chunk of Redis calls (COUPON_PREHEAT_BATCH)
 * @param attempts tries of one MySQL page or one Redis chunk before its breaker opens and the run
 *     falls back (MySQL) or stops (Redis) (COUPON_PREHEAT_ATTEMPTS)
 * @param retryWait pause between those tries (COUPON_PREHEAT_RETRY_WAIT)
 * @param idempotencyRetention passed to the library like every process does
 *     (COUPON_IDEMPOTENCY_RETENTION)
 */
record PreheatSettings(
    JdbcSettings jdbc,
    RedisSettings redis,
    Path snapshot,
    int batch,
    int attempts,
    Duration retryWait,
    Duration idempotencyRetention) {
  static final String DEFAULT_SNAPSHOT = "var/preheat-snapshot.json.gz";

  /** Refuses settings that make no sense, naming the variable (the job stops at start, exit 1). */
  PreheatSettings {
    Objects.requireNonNull(jdbc, "jdbc");
    Objects.requireNonNull(redis, "redis");
    Objects.requireNonNull(snapshot, "COUPON_PREHEAT_SNAPSHOT");
    Env.require("COUPON_PREHEAT_BATCH", batch, 1, 20_000);
    Env.require("COUPON_PREHEAT_ATTEMPTS", attempts, 1, 10);
    Env.require("COUPON_PREHEAT_RETRY_WAIT", retryWait, Duration.ZERO, Duration.ofMinutes(1));
    IdempotencyRetention.require(idempotencyRetention);
  }

  static PreheatSettings from(Env env) {
    String snapshot = env.string("COUPON_PREHEAT_SNAPSHOT", DEFAULT_SNAPSHOT);
    Path path;
    try {
      path = Path.of(snapshot);
    } catch (InvalidPathException e) {
      throw new ConfigException("COUPON_PREHEAT_SNAPSHOT: '" + snapshot + "' is not a file path");
    }
    env.logLevel("INFO");
    return new PreheatSettings(
        JdbcSettings.from(env),
        RedisSettings.from(env),
        path,
        env.integer("COUPON_PREHEAT_BATCH", 1000),
        env.integer("COUPON_PREHEAT_ATTEMPTS", 3),
        env.duration("COUPON_PREHEAT_RETRY_WAIT", Duration.ofMillis(500)),
        IdempotencyRetention.from(env).duration());
  }

  PreheatSettings withSnapshot(Path path) {
    return new PreheatSettings(jdbc, redis, path, batch, attempts, retryWait, idempotencyRetention);
  }
}
