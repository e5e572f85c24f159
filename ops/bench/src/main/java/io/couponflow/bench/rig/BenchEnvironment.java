package io.couponflow.bench.rig;

import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import io.couponflow.config.RedisSettings;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.Keyspace;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.RedisStore;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.Database;
import io.couponflow.sql.Migrations;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.apache.ibatis.session.SqlSession;

/**
 * The bench's own corner of the shared servers: a scratch database (migrated, dropped at the end)
 * on the MySQL of COUPON_JDBC_URL and a key prefix of its own on the Redis of COUPON_REDIS_URI
 * (every key under it deleted at the end). Creates the coupons the scenarios use and checks the
 * invariants after each scenario. {@link #onRedis} gives the same corner on another Redis (a
 * private one a scenario started), sharing the database.
 *
 * <p>Thread-safety: safe for use by many threads (the sampler reads while a scenario runs).
 */
public final class BenchEnvironment implements AutoCloseable {
  public static final Duration RETENTION = Duration.ofHours(24);

  private final JdbcSettings jdbc;
  private final RedisSettings redisSettings;
  private final Database database;
  private final boolean ownsDatabase;
  private final RedisStore redis;
  private final CouponFunctions functions;
  private final Keyspace keyspace;

  /**
   * The bench's own plain connection, for what is not couponflow's and so not lua's: the reference
   * script and its keys, and swapping the Functions library for the fence scenario. Couponflow's
   * keys are reached through {@link #functions} and {@link Keyspace} only.
   */
  private final RedisClient rawClient;

  private final StatefulRedisConnection<String, String> rawConnection;

  private BenchEnvironment(
      JdbcSettings jdbc, Database database, boolean ownsDatabase, RedisSettings redisSettings) {
    this.jdbc = jdbc;
    this.redisSettings = redisSettings;
    this.database = database;
    this.ownsDatabase = ownsDatabase;
    this.redis = RedisStore.connect(redisSettings);
    try {
      CouponLibrary.ensureLoaded(redis).join();
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
    this.functions = new CouponFunctions(redis, RETENTION);
    this.keyspace = new Keyspace(redis);
    this.rawClient = RedisClient.create(redisSettings.uris().get(0).toString());
    this.rawConnection = rawClient.connect();
  }

  private RedisAsyncCommands<String, String> raw() {
    return rawConnection.async();
  }

  /** A new scratch database and key prefix on the servers COUPON_* names (loopback by default). */
  public static BenchEnvironment create(Env env) {
    String name = "bench_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    JdbcSettings server = JdbcSettings.from(env);
    JdbcSettings scratch =
        new JdbcSettings(server.url(), server.user(), server.password(), 8, server.connectTimeout())
            .withDatabase("couponflow_" + name);
    RedisSettings redis = RedisSettings.from(env).withPrefix(name.replace('_', '-'));
    if (redis.cluster()) {
      throw new IllegalArgumentException(
          "COUPON_REDIS_URI: the bench runs against a single Redis (redis-benchmark cannot follow"
              + " cluster redirects)");
    }
    Migrations.migrate(scratch);
    Database database = Database.open(scratch, "couponflow-bench");
    try {
      return new BenchEnvironment(scratch, database, true, redis);
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
  }

  /**
   * The same corner (database, key prefix) on the single Redis at {@code uri}; closing it deletes
   * its keys there and leaves the database to this environment.
   */
  public BenchEnvironment onRedis(String uri) {
    RedisSettings other =
        new RedisSettings(
            List.of(URI.create(uri)),
            redisSettings.prefix(),
            redisSettings.commandTimeout(),
            redisSettings.repairSettle());
    return new BenchEnvironment(jdbc, database, false, other);
  }

  public JdbcSettings jdbc() {
    return jdbc;
  }

  public RedisSettings redisSettings() {
    return redisSettings;
  }

  public String prefix() {
    return redisSettings.prefix();
  }

  public RedisStore redis() {
    return redis;
  }

  /** The COUPON_* variables a gateway needs to work on this corner. */
  public Map<String, String> gatewayEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("COUPON_REDIS_URI", redisSettings.describe());
    env.put("COUPON_REDIS_PREFIX", prefix());
    env.put("COUPON_JDBC_URL", jdbc.url());
    env.put("COUPON_JDBC_USER", jdbc.user());
    env.put("COUPON_JDBC_PASSWORD", jdbc.password());
    env.put("COUPON_LOG_LEVEL", "WARN");
    return env;
  }

  /**
   * Defines a coupon in MySQL and makes it live in Redis: active for a day, one redemption per
   * user, a 300.00 threshold and a 50.00 discount.
   *
   * @param buckets 0 for the production choice ({@link Coupon#bucketsFor})
   */
  public Coupon createCoupon(long couponId, String name, long stock, int buckets) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Coupon coupon =
        new Coupon(
            couponId,
            name,
            stock,
            1,
            30_000,
            5_000,
            now.minus(1, ChronoUnit.HOURS),
            now.plus(1, ChronoUnit.DAYS),
            CouponStatus.ACTIVE,
            false,
            buckets > 0 ? buckets : Coupon.bucketsFor(stock),
            1);
    try (SqlSession session = database.sessions().openSession(true)) {
      session.getMapper(CouponMapper.class).insert(coupon);
    }
    LoadOutcome outcome = functions.load(coupon, 0, 0, Duration.ZERO).join();
    if (!(outcome instanceof LoadOutcome.Created created) || !created.live()) {
      throw new IllegalStateException(
          "coupon "
              + couponId
              + " was not created live in Redis: "
              + outcome
              + " (a Redis that started less than COUPON_REPAIR_SETTLE ago fences new coupons)");
    }
    return coupon;
  }

  /**
   * A coupon in Redis only, created fenced (cf_load without settle arguments gives it no epoch):
   * the real library answers FENCED to any redemption of it.
   */
  public Coupon loadFencedCoupon(long couponId) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    Coupon coupon =
        new Coupon(
            couponId,
            "bench fenced probe",
            1_000,
            1,
            0,
            5_000,
            now.minus(1, ChronoUnit.HOURS),
            now.plus(1, ChronoUnit.DAYS),
            CouponStatus.ACTIVE,
            false,
            1,
            1);
    LoadOutcome outcome = functions.load(coupon, 0, 0).join();
    if (!(outcome instanceof LoadOutcome.Created created) || created.live()) {
      throw new IllegalStateException(
          "probe coupon " + couponId + " was not created fenced: " + outcome);
    }
    return coupon;
  }

  public CouponInspection inspect(long couponId) {
    return await(functions.inspect(couponId))
        .orElseThrow(
            () ->
                new InvariantViolation(
                    "coupon " + couponId + " is gone from Redis (prefix " + prefix() + ")"));
  }

  public RedemptionCounts mysqlCounts(long couponId) {
    try (SqlSession session = database.sessions().openSession(true)) {
      return session.getMapper(RedemptionMapper.class).countsFor(couponId);
    }
  }

  /**
   * Checks in Redis: remaining = total - accepted, remaining >= 0, nothing reversed. Reads the meta
   * hash only ({@code cf_coupon}), so it costs Redis nothing however long the outbox is.
   *
   * @return the coupon as checked
   * @throws InvariantViolation when the coupon oversold or its counters disagree
   */
  public LiveCoupon checkRedis(String scenario, long couponId) {
    LiveCoupon c =
        await(functions.coupon(couponId))
            .orElseThrow(
                () ->
                    new InvariantViolation(
                        scenario + ": coupon " + couponId + " is gone from Redis"));
    check(scenario, c);
    return c;
  }

  private static void check(String scenario, LiveCoupon c) {
    long total = c.definition().totalStock();
    long stock = c.stock();
    long accepted = c.accepted();
    if (stock < 0 || accepted > total || stock != total - accepted || c.reversed() != 0) {
      throw new InvariantViolation(
          String.format(
              Locale.ROOT,
              "%s: coupon %d OVERSOLD or inconsistent in Redis: total %d, remaining %d, accepted %d,"
                  + " reversed %d (expected remaining = total - accepted >= 0)",
              scenario,
              c.couponId(),
              total,
              stock,
              accepted,
              c.reversed()));
    }
  }

  /** Entries in a coupon's outbox ({@code cf_outbox_backlog}). */
  public long outboxLength(long couponId) {
    return await(functions.outboxBacklog(couponId)).pending();
  }

  /**
   * Waits until the coupon's outbox is empty and MySQL holds one ACCEPTED row per redemption Redis
   * accepted, then checks both sides.
   *
   * @return how long the drain took
   * @throws InvariantViolation when MySQL disagrees with Redis once drained, or the drain times out
   */
  public Duration awaitDrained(String scenario, long couponId, Duration timeout) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    while (true) {
      CouponInspection c = inspect(couponId);
      check(scenario, c.coupon());
      RedemptionCounts rows = mysqlCounts(couponId);
      if (c.pending() == 0) {
        if (rows.accepted() == c.coupon().accepted() && rows.reversed() == 0) {
          return Duration.ofNanos(System.nanoTime() - start);
        }
        RedemptionCounts again = mysqlCounts(couponId);
        CouponInspection after = inspect(couponId);
        if (after.pending() == 0 && again.accepted() != after.coupon().accepted()) {
          throw new InvariantViolation(
              String.format(
                  Locale.ROOT,
                  "%s: coupon %d: the outbox is empty but MySQL holds %d ACCEPTED rows for %d"
                      + " redemptions Redis accepted",
                  scenario,
                  couponId,
                  again.accepted(),
                  after.coupon().accepted()));
        }
      }
      if (System.nanoTime() > deadline) {
        throw new InvariantViolation(
            String.format(
                Locale.ROOT,
                "%s: coupon %d: the outbox did not drain within %s (%d pending, MySQL %d rows, Redis"
                    + " %d accepted)",
                scenario,
                couponId,
                timeout,
                c.pending(),
                rows.accepted(),
                c.coupon().accepted()));
      }
      Sleep.millis(100);
    }
  }

  /** Every key of one coupon. */
  public List<String> keysOf(long couponId) {
    return keyspace.keysOf(couponId, Duration.ofSeconds(60));
  }

  /** The sum of {@code MEMORY USAGE} over every key of a coupon, in bytes. */
  public long memoryUsage(long couponId) {
    return keyspace.memoryUsage(couponId, Duration.ofSeconds(60));
  }

  /**
   * {@code used_memory} from {@code INFO memory}: the whole server's, so other clients count too.
   */
  public long usedMemory() {
    return Long.parseLong(
        info("memory", "used_memory")
            .orElseThrow(() -> new IllegalStateException("INFO memory has no used_memory line")));
  }

  /** The Redis server's process id (from {@code INFO server}), or -1. */
  public long redisPid() {
    try {
      return info("server", "process_id").map(Long::parseLong).orElse(-1L);
    } catch (RuntimeException e) {
      // not on this machine, or not telling
      return -1;
    }
  }

  /** One field of an {@code INFO} section, e.g. {@code used_memory} of {@code memory}. */
  private Optional<String> info(String section, String field) {
    for (String line : await(redis.infoOnEveryMaster(section)).get(0).split("\r?\n")) {
      if (line.startsWith(field + ":")) {
        return Optional.of(line.substring(field.length() + 1).trim());
      }
    }
    return Optional.empty();
  }

  /** The MySQL server's process id (from its pid file, when this machine can read it), or -1. */
  public long mysqlPid() {
    try (Connection c = database.dataSource().getConnection();
        Statement s = c.createStatement();
        var rs = s.executeQuery("SELECT @@pid_file, @@datadir")) {
      rs.next();
      java.nio.file.Path file = java.nio.file.Path.of(rs.getString(1));
      if (!file.isAbsolute()) {
        file = java.nio.file.Path.of(rs.getString(2)).resolve(file);
      }
      return Long.parseLong(java.nio.file.Files.readString(file).trim());
    } catch (SQLException | java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * Commands Redis logged as slow (SLOWLOG, over {@code slowlog-log-slower-than}) since {@code
   * sinceEpochSecond}, whoever sent them: the count and the longest in microseconds. Read only.
   */
  public long[] slowCommandsSince(long sinceEpochSecond) {
    long count = 0;
    long longest = 0;
    for (RedisStore.SlowCommand slow : await(redis.slowCommands(128))) {
      if (slow.startedAtEpochSecond() >= sinceEpochSecond) {
        count++;
        longest = Math.max(longest, slow.durationMicros());
      }
    }
    return new long[] {count, longest};
  }

  /** Deletes every key of a coupon (after a scenario whose outbox nothing drains). */
  public void deleteCoupon(long couponId) {
    keyspace.deleteCoupon(couponId, Duration.ofSeconds(60));
  }

  /**
   * Deletes every key under the prefix, and those the reference script made ({@code
   * idem:<prefix>:...}); then, for the environment that created it, drops the database.
   */
  @Override
  public void close() {
    try {
      keyspace.deleteAll(Duration.ofSeconds(60));
    } catch (RuntimeException e) {
      System.err.println("bench: could not delete the keys under " + prefix() + ": " + e);
    } finally {
      redis.close();
      rawConnection.close();
      rawClient.shutdown();
    }
    if (!ownsDatabase) {
      return;
    }
    database.close();
    try {
      Database.dropIfExists(jdbc);
    } catch (SQLException e) {
      System.err.println("bench: could not drop " + jdbc.database() + ": " + e.getMessage());
    }
  }

  /** Deletes every key matching a SCAN pattern. */
  public void deleteMatching(String pattern) {
    ScanCursor cursor = ScanCursor.INITIAL;
    do {
      KeyScanCursor<String> page = await(raw().scan(cursor, ScanArgs.Builder.matches(pattern)));
      if (!page.getKeys().isEmpty()) {
        await(raw().unlink(page.getKeys().toArray(String[]::new)));
      }
      cursor = page;
    } while (!cursor.isFinished());
  }

  /** The couponflow library version this Redis holds ({@code cf_version}), 0 when none. */
  public int libraryVersion() {
    return await(CouponLibrary.versions(redis, Duration.ofSeconds(10))).stream()
        .mapToInt(reply -> reply.value() == null ? 0 : reply.value())
        .min()
        .orElse(0);
  }

  /** {@code FUNCTION LOAD REPLACE}: puts {@code source} in place of the library, whatever it is. */
  public void replaceLibrary(String source) {
    await(raw().functionLoad(source, true));
  }

  /** {@code SCRIPT LOAD}: the script's SHA1 for EVALSHA. */
  public String loadScript(String source) {
    return await(raw().scriptLoad(source));
  }

  /** Plain writes and reads on keys a reference scenario owns (under the prefix). */
  public void set(String key, String value) {
    await(raw().set(key, value));
  }

  public String get(String key) {
    return await(raw().get(key));
  }

  public void hset(String key, Map<String, String> fields) {
    await(raw().hset(key, fields));
  }

  /** Entries in a stream ({@code XLEN}). */
  public long streamLength(String key) {
    return await(raw().xlen(key));
  }

  /** How long the Redis server has run ({@code INFO server uptime_in_seconds}). */
  public long uptimeSeconds() {
    return info("server", "uptime_in_seconds").map(Long::parseLong).orElse(0L);
  }

  /** The typed couponflow calls on this Redis. */
  public CouponFunctions functions() {
    return functions;
  }

  /** Waits for a Redis answer, at most 10 s. */
  public static <T> T await(CompletionStage<T> answer) {
    return answer.toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }

  /** Keys of coupon {@code couponId} with one bucket, as redis-benchmark must name them. */
  public CouponKeys singleBucketKeys(long couponId) {
    return new CouponKeys(prefix(), couponId, 1);
  }
}
