package io.couponflow.bench.preheat;

import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import io.couponflow.config.RedisSettings;
import io.couponflow.lua.HotSet;
import io.couponflow.lua.Keyspace;
import io.couponflow.lua.RedisStore;
import io.couponflow.model.Coupon;
import io.couponflow.preheat.PreheatMain;
import io.couponflow.sql.Database;
import io.couponflow.sql.Migrations;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code couponflow-bench preheat}: how long the preheat job takes to bring N coupons from MySQL
 * into Redis. It creates a database and a Redis key prefix of its own, seeds the coupons with
 * multi-row inserts, runs the real job twice (cold: every coupon created; warm: every coupon
 * already live), checks Redis holds them all, and removes everything it made.
 */
@Command(
    name = "preheat",
    mixinStandardHelpOptions = true,
    description = {
      "Time the preheat job loading N coupons from MySQL into Redis (cold, then warm).",
      "Uses COUPON_JDBC_URL's server with a database of its own and COUPON_REDIS_URI with a key",
      "prefix of its own; removes both at the end."
    })
public final class PreheatBench implements Callable<Integer> {
  private static final int ROWS_PER_INSERT = 5000;

  @Spec CommandSpec spec;

  @Option(
      names = "--coupons",
      paramLabel = "N",
      defaultValue = "1000000",
      description = "How many coupons to seed and preheat. Default: ${DEFAULT-VALUE}.")
  int coupons;

  @Option(
      names = "--keep",
      description = "Leave the database and the Redis keys in place (to inspect them).")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    if (coupons < 1) {
      throw new IllegalArgumentException("--coupons: " + coupons + " (expected: >= 1)");
    }
    PrintWriter out = spec.commandLine().getOut();
    Env env = Env.system();
    String name =
        "bench_preheat_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    JdbcSettings jdbc = JdbcSettings.from(env).withDatabase(name);
    RedisSettings redisSettings = RedisSettings.from(env).withPrefix(name.replace('_', '-'));
    Path dir = Files.createTempDirectory("couponflow-bench-preheat");
    Path snapshot = dir.resolve("snapshot.json.gz");
    out.printf(
        "preheat bench: %,d coupons; MySQL %s, Redis %s prefix %s%n",
        coupons, jdbc.address() + "/" + name, redisSettings.describe(), redisSettings.prefix());
    Migrations.migrate(jdbc);
    try {
      long seedStart = System.nanoTime();
      seed(jdbc);
      double seedSeconds = seconds(seedStart);
      out.printf(
          Locale.ROOT,
          "seed: %,d rows in %.1f s (%,.0f rows/s, multi-row inserts of %d)%n",
          coupons,
          seedSeconds,
          coupons / seedSeconds,
          ROWS_PER_INSERT);

      Map<String, String> jobEnv = new HashMap<>(System.getenv());
      jobEnv.put("COUPON_JDBC_URL", jdbc.url());
      jobEnv.put("COUPON_REDIS_PREFIX", redisSettings.prefix());
      jobEnv.put("COUPON_PREHEAT_SNAPSHOT", snapshot.toString());
      Run cold = run(jobEnv, out, "cold (every coupon created)");
      Run warm = run(jobEnv, out, "warm (every coupon already live)");
      long hot = countHot(redisSettings);
      out.printf(Locale.ROOT, "hot set: %,d ids; snapshot: %,d bytes%n", hot, Files.size(snapshot));
      boolean ok =
          cold.exitCode == 0
              && warm.exitCode == 0
              && loadedOrLive(cold.summary) == coupons
              && warm.summary.contains("already_live=" + coupons + " ")
              && hot == coupons;
      out.println(ok ? "result: ok" : "result: FAILED (see the lines above)");
      return ok ? 0 : 1;
    } finally {
      if (!keep) {
        cleanUp(jdbc, redisSettings, dir, out);
      }
    }
  }

  private record Run(int exitCode, String summary) {}

  /**
   * Loaded plus already live: a chunk that Redis answered late is sent again, and its coupons then
   * count as already live.
   */
  private static long loadedOrLive(String summary) {
    return number(summary, "loaded") + number(summary, "already_live");
  }

  private static long number(String summary, String field) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("\\b" + field + "=(\\d+)").matcher(summary);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  private Run run(Map<String, String> env, PrintWriter out, String label) {
    StringWriter jobOut = new StringWriter();
    StringWriter jobErr = new StringWriter();
    long start = System.nanoTime();
    int code =
        PreheatMain.run(
            Env.of(env),
            new PrintWriter(jobOut, true),
            new PrintWriter(jobErr, true),
            false,
            "--all-active");
    double s = seconds(start);
    String summary = jobOut.toString().strip();
    summary = summary.substring(summary.lastIndexOf('\n') + 1);
    out.printf(
        Locale.ROOT,
        "%s: %,d coupons in %.1f s = %,.0f coupons/s (exit %d)%n  %s%n",
        label,
        coupons,
        s,
        coupons / s,
        code,
        summary);
    if (!jobErr.toString().isBlank()) {
      out.println("  stderr: " + jobErr.toString().strip());
    }
    return new Run(code, summary);
  }

  private void seed(JdbcSettings jdbc) throws SQLException {
    int buckets = Coupon.bucketsFor(1000);
    try (Database database = Database.open(jdbc, "bench-seed");
        Connection c = database.dataSource().getConnection();
        Statement s = c.createStatement()) {
      StringBuilder sql = new StringBuilder(ROWS_PER_INSERT * 128);
      for (int id = 1; id <= coupons; id++) {
        if (sql.length() == 0) {
          sql.append(
              "INSERT INTO coupon (coupon_id, name, total_stock, per_user_limit,"
                  + " threshold_cents, discount_cents, starts_at, ends_at, status, hot, buckets,"
                  + " version) VALUES ");
        } else {
          sql.append(',');
        }
        sql.append('(')
            .append(id)
            .append(",'bench coupon ")
            .append(id)
            .append("',1000,1,30000,5000,UTC_TIMESTAMP(3) - INTERVAL 1 MINUTE,")
            .append("UTC_TIMESTAMP(3) + INTERVAL 1 DAY,'ACTIVE',")
            .append(id % 100 == 0 ? "TRUE" : "FALSE")
            .append(',')
            .append(buckets)
            .append(",1)");
        if (id % ROWS_PER_INSERT == 0 || id == coupons) {
          s.execute(sql.toString());
          sql.setLength(0);
        }
      }
    }
  }

  private static long countHot(RedisSettings settings) {
    try (RedisStore redis = RedisStore.connect(settings)) {
      return new HotSet(redis).size().join();
    }
  }

  /** Removes what the run made; each part is tried even when another failed. */
  private static void cleanUp(
      JdbcSettings jdbc, RedisSettings settings, Path dir, PrintWriter out) {
    long start = System.nanoTime();
    try {
      Database.dropIfExists(jdbc);
    } catch (SQLException | RuntimeException e) {
      out.println("cleanup: could not drop " + jdbc.database() + ": " + e.getMessage());
    }
    long keys = -1;
    try {
      keys = unlinkPrefix(settings);
    } catch (RuntimeException e) {
      out.println(
          "cleanup: could not delete the keys under " + settings.prefix() + ": " + e.getMessage());
    }
    try (var files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      out.println("cleanup: could not delete " + dir + ": " + e.getMessage());
    }
    out.printf(
        Locale.ROOT,
        "cleanup: dropped %s, unlinked %,d Redis keys in %.1f s%n",
        jdbc.database(),
        keys,
        seconds(start));
  }

  /** Unlinks every key under the prefix, a bounded number of commands in flight. */
  private static long unlinkPrefix(RedisSettings settings) {
    try (RedisStore redis =
        RedisStore.connect(
            new RedisSettings(
                settings.uris(),
                settings.prefix(),
                Duration.ofSeconds(30),
                settings.repairSettle()))) {
      return new Keyspace(redis).deleteAll(Duration.ofMinutes(5));
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
