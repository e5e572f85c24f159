package io.couponflow.preheat;

import io.couponflow.model.Coupon;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.CouponRow;
import io.couponflow.sql.Database;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.ibatis.session.Configuration;
import org.apache.ibatis.session.SqlSession;

/**
 * Reads the selection from MySQL in keyset pages ({@code coupon_id > last ORDER BY coupon_id LIMIT
 * n}), each page with its redemption counts, so memory stays at one page whatever the table size.
 * Every read goes through {@code guard} (the MySQL circuit breaker and retry). A row that is not a
 * valid coupon goes into the page's {@code invalid} list with the reason, and the others load.
 *
 * <p>Thread-safety: not thread-safe.
 */
final class MySqlSource implements CouponSource {
  private final Database database;
  private final Selection selection;
  private final Instant now;
  private final int pageSize;
  private final Guard guard;
  private long afterId;
  private int namedIndex;

  /** Runs a MySQL read under the breaker; throws {@link SourceUnavailableException} on failure. */
  interface Guard {
    <T> T call(Supplier<T> read);
  }

  MySqlSource(Database database, Selection selection, Instant now, int pageSize, Guard guard) {
    this.database = database;
    this.selection = selection;
    this.now = now;
    this.pageSize = pageSize;
    this.guard = guard;
    Configuration configuration = database.sessions().getConfiguration();
    if (!configuration.hasMapper(PreheatMapper.class)) {
      configuration.addMapper(PreheatMapper.class);
    }
  }

  @Override
  public String name() {
    return "mysql";
  }

  @Override
  public long expectedTotal() {
    if (selection.isNamed()) {
      return selection.named().size();
    }
    return guard.call(
        () -> {
          try (SqlSession session = database.sessions().openSession(true)) {
            return session
                .getMapper(PreheatMapper.class)
                .countForPreheat(now, selection.horizon(now), selection.includesHot());
          }
        });
  }

  @Override
  public Page next() {
    return selection.isNamed() ? nextNamed() : nextSelected();
  }

  private Page nextSelected() {
    Page page =
        guard.call(
            () -> {
              try (SqlSession session = database.sessions().openSession(true)) {
                List<CouponRow> rows =
                    session
                        .getMapper(PreheatMapper.class)
                        .page(
                            afterId,
                            pageSize,
                            now,
                            selection.horizon(now),
                            selection.includesHot());
                return page(session, rows, List.of());
              }
            });
    if (!page.candidates().isEmpty()) {
      afterId = page.lastId();
    }
    return page;
  }

  private Page nextNamed() {
    List<Long> named = selection.named();
    if (namedIndex >= named.size()) {
      return Page.END;
    }
    List<Long> ids = named.subList(namedIndex, Math.min(named.size(), namedIndex + pageSize));
    Page page =
        guard.call(
            () -> {
              try (SqlSession session = database.sessions().openSession(true)) {
                List<CouponRow> rows = session.getMapper(CouponMapper.class).findRowsByIds(ids);
                Set<Long> found = new HashSet<>();
                rows.forEach(r -> found.add(r.couponId()));
                List<Long> missing = ids.stream().filter(id -> !found.contains(id)).toList();
                return page(session, rows, missing);
              }
            });
    namedIndex += ids.size();
    afterId = ids.get(ids.size() - 1);
    return page;
  }

  /** The highest coupon id read so far: a fallback source continues after it. */
  long lastId() {
    return afterId;
  }

  /** The valid rows as candidates with their counts, the others as invalid with the reason. */
  private static Page page(SqlSession session, List<CouponRow> rows, List<Long> missing) {
    List<Coupon> coupons = new ArrayList<>(rows.size());
    List<Invalid> invalid = new ArrayList<>();
    for (CouponRow row : rows) {
      try {
        coupons.add(row.toCoupon());
      } catch (IllegalArgumentException | NullPointerException e) {
        invalid.add(new Invalid(row.couponId(), String.valueOf(e.getMessage())));
      }
    }
    return new Page(withCounts(session, coupons), missing, invalid);
  }

  private static List<Candidate> withCounts(SqlSession session, List<Coupon> coupons) {
    if (coupons.isEmpty()) {
      return List.of();
    }
    Map<Long, RedemptionCounts> counts = new HashMap<>();
    long readAt = System.nanoTime();
    for (RedemptionCounts c :
        session
            .getMapper(RedemptionMapper.class)
            .countsForCoupons(coupons.stream().map(Coupon::couponId).toList())) {
      counts.put(c.couponId(), c);
    }
    List<Candidate> candidates = new ArrayList<>(coupons.size());
    for (Coupon c : coupons) {
      RedemptionCounts n = counts.get(c.couponId());
      candidates.add(
          Candidate.fromMySql(
              c, n == null ? 0 : n.accepted(), n == null ? 0 : n.reversed(), readAt));
    }
    return candidates;
  }

  @Override
  public void close() {}
}
