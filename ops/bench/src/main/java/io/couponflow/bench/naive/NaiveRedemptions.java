package io.couponflow.bench.naive;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * S2's baseline: redemptions done the way most teams do them today, all in MySQL. Each one is a
 * transaction that locks the coupon's row ({@code SELECT ... FOR UPDATE}), checks the window, the
 * threshold, the idempotency key, the user's limit, the order and the stock, then takes the stock
 * and inserts the redemption. Its tables ({@code naive_coupon}, {@code naive_redemption}) live in
 * the bench's scratch database.
 *
 * <p>Thread-safety: {@link #run} drives its own threads; one run at a time.
 */
public final class NaiveRedemptions {
  /** What one run came to. */
  public record Result(long accepted, long rejected, long failed, Duration elapsed) {
    public double acceptedPerSecond() {
      return accepted / Math.max(1e-9, elapsed.toNanos() / 1e9);
    }
  }

  private final DataSource dataSource;

  public NaiveRedemptions(DataSource dataSource) {
    this.dataSource = dataSource;
  }

  /** Creates the tables and one coupon with {@code stock} units. */
  public void setUp(long couponId, long stock) throws SQLException {
    try (Connection c = dataSource.getConnection();
        Statement s = c.createStatement()) {
      s.execute(
          "CREATE TABLE IF NOT EXISTS naive_coupon ("
              + " coupon_id BIGINT NOT NULL PRIMARY KEY, total_stock BIGINT NOT NULL,"
              + " remaining_stock BIGINT NOT NULL, per_user_limit INT NOT NULL,"
              + " threshold_cents BIGINT NOT NULL, discount_cents BIGINT NOT NULL,"
              + " starts_at DATETIME(3) NOT NULL, ends_at DATETIME(3) NOT NULL,"
              + " status VARCHAR(8) NOT NULL) ENGINE = InnoDB");
      s.execute(
          "CREATE TABLE IF NOT EXISTS naive_redemption ("
              + " id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, coupon_id BIGINT NOT NULL,"
              + " idempotency_key VARCHAR(128) NOT NULL, user_id VARCHAR(64) NOT NULL,"
              + " order_id VARCHAR(64) NOT NULL, order_amount_cents BIGINT NOT NULL,"
              + " discount_cents BIGINT NOT NULL, status VARCHAR(8) NOT NULL,"
              + " accepted_at DATETIME(3) NOT NULL,"
              + " UNIQUE KEY uk_naive_key (coupon_id, idempotency_key),"
              + " KEY ix_naive_user (coupon_id, user_id), KEY ix_naive_order (coupon_id, order_id))"
              + " ENGINE = InnoDB");
      try (PreparedStatement insert =
          c.prepareStatement(
              "INSERT INTO naive_coupon VALUES (?, ?, ?, 1, 30000, 5000, ?, ?, 'ACTIVE')")) {
        Instant now = Instant.now();
        insert.setLong(1, couponId);
        insert.setLong(2, stock);
        insert.setLong(3, stock);
        insert.setTimestamp(4, Timestamp.from(now.minus(Duration.ofHours(1))));
        insert.setTimestamp(5, Timestamp.from(now.plus(Duration.ofDays(1))));
        insert.executeUpdate();
      }
    }
  }

  /**
   * Redeems from {@code threads} threads for {@code duration}, each request with a key, user and
   * order of its own.
   */
  public Result run(long couponId, String tag, int threads, Duration duration)
      throws InterruptedException {
    AtomicLong accepted = new AtomicLong();
    AtomicLong rejected = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    AtomicLong sequence = new AtomicLong();
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<?>> workers = new ArrayList<>();
    try {
      for (int t = 0; t < threads; t++) {
        workers.add(
            pool.submit(
                () -> {
                  try (Connection c = dataSource.getConnection()) {
                    c.setAutoCommit(false);
                    while (System.nanoTime() - deadline < 0) {
                      String id = tag + "-" + sequence.getAndIncrement();
                      try {
                        if (redeem(c, couponId, "k-" + id, "u-" + id, "o-" + id, 35_000)) {
                          accepted.incrementAndGet();
                        } else {
                          rejected.incrementAndGet();
                        }
                      } catch (SQLException e) {
                        failed.incrementAndGet();
                        c.rollback();
                      }
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> worker : workers) {
        try {
          worker.get(duration.toMillis() + 60_000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException
            | java.util.concurrent.TimeoutException e) {
          throw new IllegalStateException("a naive worker failed: " + e, e);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    return new Result(
        accepted.get(), rejected.get(), failed.get(), Duration.ofNanos(System.nanoTime() - start));
  }

  /** One redemption in one transaction; true when accepted. */
  static boolean redeem(
      Connection c, long couponId, String key, String user, String order, long amount)
      throws SQLException {
    long remaining;
    int limit;
    long threshold;
    long discount;
    try (PreparedStatement lock =
        c.prepareStatement(
            "SELECT remaining_stock, per_user_limit, threshold_cents, discount_cents, starts_at,"
                + " ends_at, status FROM naive_coupon WHERE coupon_id = ? FOR UPDATE")) {
      lock.setLong(1, couponId);
      try (ResultSet rs = lock.executeQuery()) {
        if (!rs.next()) {
          c.rollback();
          return false;
        }
        remaining = rs.getLong(1);
        limit = rs.getInt(2);
        threshold = rs.getLong(3);
        discount = rs.getLong(4);
        Instant now = Instant.now();
        if (!"ACTIVE".equals(rs.getString(7))
            || now.isBefore(rs.getTimestamp(5).toInstant())
            || !now.isBefore(rs.getTimestamp(6).toInstant())
            || amount < threshold) {
          c.rollback();
          return false;
        }
      }
    }
    if (exists(
            c,
            "SELECT 1 FROM naive_redemption WHERE coupon_id = ? AND idempotency_key = ?",
            couponId,
            key)
        || count(
                c,
                "SELECT COUNT(*) FROM naive_redemption WHERE coupon_id = ? AND user_id = ? AND status = 'ACCEPTED'",
                couponId,
                user)
            >= limit
        || exists(
            c,
            "SELECT 1 FROM naive_redemption WHERE coupon_id = ? AND order_id = ? AND status = 'ACCEPTED'",
            couponId,
            order)
        || remaining <= 0) {
      c.rollback();
      return false;
    }
    try (PreparedStatement take =
            c.prepareStatement(
                "UPDATE naive_coupon SET remaining_stock = remaining_stock - 1 WHERE coupon_id = ?");
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO naive_redemption (coupon_id, idempotency_key, user_id, order_id,"
                    + " order_amount_cents, discount_cents, status, accepted_at)"
                    + " VALUES (?, ?, ?, ?, ?, ?, 'ACCEPTED', ?)")) {
      take.setLong(1, couponId);
      take.executeUpdate();
      insert.setLong(1, couponId);
      insert.setString(2, key);
      insert.setString(3, user);
      insert.setString(4, order);
      insert.setLong(5, amount);
      insert.setLong(6, Math.min(discount, amount));
      insert.setTimestamp(7, Timestamp.from(Instant.now()));
      insert.executeUpdate();
    }
    c.commit();
    return true;
  }

  private static boolean exists(Connection c, String sql, long couponId, String value)
      throws SQLException {
    return count(c, sql, couponId, value) > 0;
  }

  private static long count(Connection c, String sql, long couponId, String value)
      throws SQLException {
    try (PreparedStatement q = c.prepareStatement(sql)) {
      q.setLong(1, couponId);
      q.setString(2, value);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }

  /** Remaining stock and stored redemptions, for the invariant check: they add up to the total. */
  public long[] remainingAndRows(long couponId) throws SQLException {
    try (Connection c = dataSource.getConnection();
        PreparedStatement q =
            c.prepareStatement(
                "SELECT remaining_stock, total_stock, (SELECT COUNT(*) FROM naive_redemption WHERE"
                    + " coupon_id = ?) FROM naive_coupon WHERE coupon_id = ?")) {
      q.setLong(1, couponId);
      q.setLong(2, couponId);
      try (ResultSet rs = q.executeQuery()) {
        rs.next();
        return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
      }
    }
  }
}
