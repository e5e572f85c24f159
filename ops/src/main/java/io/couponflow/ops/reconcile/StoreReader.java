package io.couponflow.ops.reconcile;

import io.couponflow.core.Await;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.CouponRecords;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.Coupon;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.Database;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.apache.ibatis.session.SqlSession;

/**
 * The one place reconcile reads a coupon: Redis through {@link CouponFunctions#inspect} (counters
 * and outbox in one atomic step) and {@link CouponFunctions#records}, MySQL through its mappers.
 * MySQL is counted before and after the Redis read, and a read during which the sink moved rows is
 * taken again, a bounded number of times.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
final class StoreReader implements CouponReader {
  private static final int PAGE = 500;
  private static final int READS = 10;

  private final Database database;
  private final CouponFunctions functions;
  private final Duration redisWait;

  StoreReader(Database database, CouponFunctions functions, Duration redisWait) {
    this.database = database;
    this.functions = functions;
    this.redisWait = redisWait;
  }

  @Override
  public CouponState read(long couponId, boolean deep) {
    CouponState state = counters(couponId);
    if (Diagnose.needsRecords(state, deep)) {
      int buckets = state.live().orElseThrow().coupon().buckets();
      state = state.withRecords(records(couponId, buckets));
    }
    return state;
  }

  /** MySQL, Redis (atomically), MySQL again: one read during which the sink moved no row. */
  private CouponState counters(long couponId) {
    CouponState last = null;
    for (int attempt = 0; attempt < READS; attempt++) {
      Optional<Coupon> coupon = coupons(m -> m.findById(couponId));
      RedemptionCounts before = counts(couponId);
      Optional<CouponInspection> live = Await.of(functions.inspect(couponId), redisWait);
      RedemptionCounts after = counts(couponId);
      last = new CouponState(couponId, coupon, after, live, Optional.empty());
      if (before.equals(after)) {
        return last;
      }
    }
    return last;
  }

  /** Rows, then records, then the outbox, then rows again ({@link CouponState.Records}). */
  private CouponState.Records records(long couponId, int buckets) {
    List<RedemptionRow> before = rows(couponId);
    CouponRecords redis = Await.of(functions.records(couponId, buckets), redisWait);
    List<OutboxEntry> outbox = outbox(couponId);
    List<RedemptionRow> after = rows(couponId);
    return new CouponState.Records(before, redis, outbox, after);
  }

  private RedemptionCounts counts(long couponId) {
    return redemptions(m -> m.countsFor(couponId));
  }

  private List<RedemptionRow> rows(long couponId) {
    List<RedemptionRow> rows = new ArrayList<>();
    String after = null;
    while (true) {
      String from = after;
      List<RedemptionRow> page = redemptions(m -> m.pageOfCoupon(couponId, from, PAGE));
      rows.addAll(page);
      if (page.size() < PAGE) {
        return rows;
      }
      after = page.get(page.size() - 1).redemptionId();
    }
  }

  private List<OutboxEntry> outbox(long couponId) {
    List<OutboxEntry> entries = new ArrayList<>();
    String after = null;
    while (true) {
      List<OutboxEntry> page =
          Await.of(functions.outboxRead(couponId, Duration.ZERO, PAGE, after), redisWait);
      entries.addAll(page);
      if (page.size() < PAGE) {
        return entries;
      }
      after = page.get(page.size() - 1).id();
    }
  }

  private <T> T coupons(Function<CouponMapper, T> query) {
    try (SqlSession session = database.sessions().openSession(true)) {
      return query.apply(session.getMapper(CouponMapper.class));
    }
  }

  private <T> T redemptions(Function<RedemptionMapper, T> query) {
    try (SqlSession session = database.sessions().openSession(true)) {
      return query.apply(session.getMapper(RedemptionMapper.class));
    }
  }
}
