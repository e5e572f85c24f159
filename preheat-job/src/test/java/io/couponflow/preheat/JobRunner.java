package io.couponflow.preheat;

import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import io.couponflow.testkit.TestDatabase;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.ibatis.session.SqlSession;

/** Runs the preheat job in the test's JVM against given servers, and plants coupons in MySQL. */
public final class JobRunner {
  private final Map<String, String> env = new HashMap<>();

  public JobRunner(JdbcSettings jdbc, String redisUri, String prefix, Path snapshot) {
    env.put("COUPON_JDBC_URL", jdbc.url());
    env.put("COUPON_JDBC_USER", jdbc.user());
    env.put("COUPON_JDBC_PASSWORD", jdbc.password());
    env.put("COUPON_JDBC_TIMEOUT", "500ms");
    env.put("COUPON_REDIS_URI", redisUri);
    env.put("COUPON_REDIS_PREFIX", prefix);
    env.put("COUPON_PREHEAT_SNAPSHOT", snapshot.toString());
    env.put("COUPON_PREHEAT_RETRY_WAIT", "100ms");
  }

  public JobRunner with(String name, String value) {
    env.put(name, value);
    return this;
  }

  /** What one run printed and returned. */
  public record Outcome(int exitCode, String out, String err) {
    /** The last line of stdout. */
    public String summary() {
      List<String> lines = out.lines().toList();
      return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }
  }

  public Outcome run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code =
        PreheatMain.run(
            Env.of(env), new PrintWriter(out, true), new PrintWriter(err, true), false, args);
    return new Outcome(code, out.toString(), err.toString());
  }

  public static Coupon coupon(
      long id, long stock, Instant startsAt, Instant endsAt, CouponStatus status, boolean hot) {
    return new Coupon(
        id,
        "coupon " + id,
        stock,
        2,
        100,
        50,
        startsAt,
        endsAt,
        status,
        hot,
        Coupon.bucketsFor(stock),
        1);
  }

  /** An active coupon that started a minute ago and ends in an hour. */
  public static Coupon liveCoupon(long id, long stock) {
    Instant now = Instant.now();
    return coupon(
        id, stock, now.minusSeconds(60), now.plusSeconds(3600), CouponStatus.ACTIVE, false);
  }

  public static void insert(TestDatabase db, Coupon... coupons) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      for (Coupon c : coupons) {
        s.getMapper(CouponMapper.class).insert(c);
      }
    }
  }

  /** Stores {@code count} ACCEPTED rows of a coupon, as the sink would have. */
  public static void insertAccepted(TestDatabase db, long couponId, int count) {
    List<RedemptionRow> rows = new ArrayList<>();
    Instant now = Instant.now();
    for (int i = 0; i < count; i++) {
      String order = "SO-" + i;
      rows.add(
          new RedemptionRow(
              couponId + "." + order + ".1",
              couponId,
              "key-" + i,
              "u-" + i,
              order,
              1000,
              50,
              RedemptionStatus.ACCEPTED,
              now,
              null,
              null,
              "1-" + i));
    }
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(RedemptionMapper.class).upsertAll(rows);
    }
  }

  /** Adds stock in MySQL the way ops does (total and version up by one). */
  public static void restock(TestDatabase db, long couponId, long add) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      if (s.getMapper(CouponMapper.class).addStock(couponId, add) != 1) {
        throw new IllegalStateException("coupon " + couponId + " cannot take " + add + " more");
      }
    }
  }
}
