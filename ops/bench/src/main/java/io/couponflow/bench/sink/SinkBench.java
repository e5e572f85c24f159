package io.couponflow.bench.sink;

import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.Database;
import io.couponflow.sql.Migrations;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.ibatis.session.ExecutorType;
import org.apache.ibatis.session.SqlSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code couponflow-bench sink}: writes the same redemptions into MySQL three ways in one run and
 * prints each in rows/s: the sink's multi-row upsert (one {@code <foreach>} statement per batch), a
 * MyBatis {@link ExecutorType#BATCH} session (JDBC batch that the driver rewrites into multi-row
 * statements), and single-row autocommit inserts, the reference batching must beat.
 *
 * <p>It works in a scratch database of its own on the server of COUPON_JDBC_URL and drops it at the
 * end.
 */
@Command(
    name = "sink",
    mixinStandardHelpOptions = true,
    description =
        "MySQL write throughput: multi-row batches and JDBC batches against single-row autocommit"
            + " inserts of the same redemptions.")
public final class SinkBench implements Callable<Integer> {
  @Option(
      names = "--rows",
      defaultValue = "20000",
      description = "redemptions written by each method (default: ${DEFAULT-VALUE})")
  int rows;

  @Option(
      names = "--batch",
      defaultValue = "500",
      description = "rows per transaction for the batched methods (default: ${DEFAULT-VALUE})")
  int batch;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  /** One method's result. */
  public record Result(String method, int rows, long nanos, long cpuNanos) {
    /** CPU this process spent per row (the client's share: MyBatis and the driver). */
    public double cpuMicrosPerRow() {
      return cpuNanos / 1e3 / rows;
    }

    public double rowsPerSecond() {
      return rows / (nanos / 1e9);
    }
  }

  /**
   * One comparison: each batched method over {@code batchedRows} redemptions, single-row autocommit
   * inserts over {@code singleRows} (fewer, since they are slow; rows/s is what counts).
   */
  public record Comparison(Result multi, Result jdbc, Result single) {
    /** The faster batched method. */
    public Result best() {
      return multi.rowsPerSecond() >= jdbc.rowsPerSecond() ? multi : jdbc;
    }

    /** The faster batched method's rows/s over single-row inserts'. */
    public double speedup() {
      return best().rowsPerSecond() / single.rowsPerSecond();
    }
  }

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (rows < 1 || batch < 1) {
      spec.commandLine().getErr().println("--rows and --batch must be at least 1");
      return 2;
    }
    JdbcSettings server = JdbcSettings.from(Env.system());
    out.printf(
        Locale.ROOT,
        "sink: %d redemptions per method, batches of %d, MySQL at %s%n",
        rows,
        batch,
        server.address());
    Comparison c = compare(server, rows, rows, batch);
    for (Result r : List.of(c.multi(), c.jdbc(), c.single())) {
      out.printf(
          Locale.ROOT,
          "  %-44s %,12.0f rows/s  %5.1f us CPU/row here  (%,d rows in %,d ms)%n",
          r.method(),
          r.rowsPerSecond(),
          r.cpuMicrosPerRow(),
          r.rows(),
          r.nanos() / 1_000_000);
    }
    out.printf(
        Locale.ROOT,
        "  multi-row / JDBC batch: %.2fx; best batched (%s) / single-row autocommit: %.1fx%n",
        c.multi().rowsPerSecond() / c.jdbc().rowsPerSecond(),
        c.best().method(),
        c.speedup());
    out.flush();
    return 0;
  }

  /**
   * Measures the three methods in a scratch database of its own on {@code server}, dropped at the
   * end.
   */
  public static Comparison compare(
      JdbcSettings server, int batchedRows, int singleRows, int batch) {
    String scratch =
        "couponflow_bench_sink_"
            + Long.toString(ThreadLocalRandom.current().nextLong(1L << 30), 36);
    JdbcSettings settings = server.withDatabase(scratch);
    Migrations.migrate(settings);
    try (Database database = Database.open(settings, "couponflow-bench-sink")) {
      List<RedemptionRow> data = redemptions(batchedRows);
      List<RedemptionRow> warmup = redemptions(Math.min(batchedRows, 2_000));
      multiRow(database, warmup, batch);
      jdbcBatch(database, warmup, batch);
      single(database, warmup.subList(0, Math.min(warmup.size(), 200)));
      truncate(database);

      Result multi = multiRow(database, data, batch);
      truncate(database);
      Result jdbc = jdbcBatch(database, data, batch);
      truncate(database);
      Result single = single(database, data.subList(0, Math.min(data.size(), singleRows)));
      truncate(database);
      return new Comparison(multi, jdbc, single);
    } finally {
      drop(server, scratch);
    }
  }

  private static Result multiRow(Database database, List<RedemptionRow> data, int batch) {
    long start = System.nanoTime();
    long cpu = cpuNow();
    for (int i = 0; i < data.size(); i += batch) {
      try (SqlSession session = database.sessions().openSession(false)) {
        session
            .getMapper(RedemptionMapper.class)
            .upsertAll(data.subList(i, Math.min(data.size(), i + batch)));
        session.commit();
      }
    }
    return new Result(
        "multi-row upsert (<foreach>), 1 tx per batch",
        data.size(),
        elapsed(start),
        cpuNow() - cpu);
  }

  private static Result jdbcBatch(Database database, List<RedemptionRow> data, int batch) {
    long start = System.nanoTime();
    long cpu = cpuNow();
    for (int i = 0; i < data.size(); i += batch) {
      try (SqlSession session = database.sessions().openSession(ExecutorType.BATCH, false)) {
        RedemptionMapper mapper = session.getMapper(RedemptionMapper.class);
        for (RedemptionRow row : data.subList(i, Math.min(data.size(), i + batch))) {
          mapper.upsert(row);
        }
        session.flushStatements();
        session.commit();
      }
    }
    return new Result(
        "ExecutorType.BATCH + rewrite, 1 tx per batch",
        data.size(),
        elapsed(start),
        cpuNow() - cpu);
  }

  private static Result single(Database database, List<RedemptionRow> data) {
    long start = System.nanoTime();
    long cpu = cpuNow();
    try (SqlSession session = database.sessions().openSession(true)) {
      RedemptionMapper mapper = session.getMapper(RedemptionMapper.class);
      for (RedemptionRow row : data) {
        mapper.upsert(row);
      }
    }
    return new Result("single-row autocommit inserts", data.size(), elapsed(start), cpuNow() - cpu);
  }

  private static long cpuNow() {
    return java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
  }

  private static long elapsed(long start) {
    return Math.max(1, System.nanoTime() - start);
  }

  /** Redemptions shaped like a flash sale's: a few coupons, one row per order. */
  static List<RedemptionRow> redemptions(int count) {
    List<RedemptionRow> rows = new ArrayList<>(count);
    long now = Instant.now().toEpochMilli();
    for (int i = 0; i < count; i++) {
      long coupon = 1 + (i % 4);
      String order = "SO-" + i;
      rows.add(
          new RedemptionRow(
              coupon + "." + order + ".1",
              coupon,
              "key-" + i,
              "user-" + (i * 7919 % 1_000_003),
              order,
              35_000,
              5_000,
              RedemptionStatus.ACCEPTED,
              Instant.ofEpochMilli(now + i),
              null,
              null,
              (now + i) + "-0"));
    }
    return rows;
  }

  private static void truncate(Database database) {
    try (Connection c = database.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE TABLE redemption");
    } catch (SQLException e) {
      throw new IllegalStateException("cannot empty the scratch table: " + e.getMessage(), e);
    }
  }

  private static void drop(JdbcSettings server, String scratch) {
    try {
      Database.dropIfExists(server.withDatabase(scratch));
    } catch (SQLException | RuntimeException e) {
      System.err.println("could not drop scratch database " + scratch + ": " + e.getMessage());
    }
  }
}
