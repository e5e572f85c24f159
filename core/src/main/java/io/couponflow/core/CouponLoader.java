package io.couponflow.core;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ibatis.session.SqlSession;
import org.apache.ibatis.session.SqlSessionFactory;

/**
 * Makes a coupon live in Redis from MySQL: the one way the gateway (on demand), the preheat job and
 * ops load a coupon.
 *
 * <p>A coupon Redis holds gets {@code cf_load} only: a newer definition, a restock as a delta; live
 * stock and records are never touched. A coupon Redis does not hold but MySQL has redemptions of
 * (Redis lost it: a restart without AOF, a flush) gets its redemption records back first ({@code
 * cf_restore}, page by page) and its meta last ({@code cf_load}), so it never becomes live without
 * them: users keep their limits, orders their slots, keys their replays. A loader that dies half
 * way leaves records without meta, which the next load completes.
 *
 * <p>Blocking: reads MySQL and waits for Redis; call it off event loops. Thread-safety: safe for
 * use by many threads.
 */
public final class CouponLoader {
  static final int PAGE = 500;

  private final CouponFunctions functions;
  private final SqlSessionFactory sessions;

  public CouponLoader(CouponFunctions functions, SqlSessionFactory sessions) {
    this.functions = functions;
    this.sessions = sessions;
  }

  /** Loads a coupon, reading its redemption counts from MySQL. */
  public LoadOutcome load(Coupon coupon) {
    RedemptionCounts counts;
    try (SqlSession session = sessions.openSession(true)) {
      counts = session.getMapper(RedemptionMapper.class).countsFor(coupon.couponId());
    }
    return load(coupon, counts);
  }

  /**
   * Loads a coupon whose redemption counts the caller already read (the preheat job reads them a
   * page of coupons at a time). A coupon without redemptions costs one {@code cf_load}.
   */
  public LoadOutcome load(Coupon coupon, RedemptionCounts counts) {
    if (counts.accepted() + counts.reversed() == 0
        || functions.coupon(coupon.couponId()).join().isPresent()) {
      return functions.load(coupon, counts.accepted(), counts.reversed()).join();
    }
    RedemptionCounts restored = restoreRecords(coupon);
    return functions.load(coupon, restored.accepted(), restored.reversed()).join();
  }

  /** Puts back every redemption record MySQL holds for the coupon; returns what it walked. */
  private RedemptionCounts restoreRecords(Coupon coupon) {
    long accepted = 0;
    long reversed = 0;
    String after = null;
    while (true) {
      List<RedemptionRow> page;
      try (SqlSession session = sessions.openSession(true)) {
        page =
            session.getMapper(RedemptionMapper.class).pageOfCoupon(coupon.couponId(), after, PAGE);
      }
      if (page.isEmpty()) {
        return new RedemptionCounts(coupon.couponId(), accepted, reversed);
      }
      List<CompletableFuture<Boolean>> calls = new ArrayList<>(page.size());
      for (RedemptionRow row : page) {
        calls.add(
            functions.restore(
                redemption(row), row.idempotencyKey(), coupon.buckets(), coupon.endsAt()));
        if (row.status() == RedemptionStatus.ACCEPTED) {
          accepted++;
        } else {
          reversed++;
        }
      }
      CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).join();
      after = page.get(page.size() - 1).redemptionId();
    }
  }

  /** A stored row as the redemption it records. */
  public static Redemption redemption(RedemptionRow row) {
    RedemptionId id =
        RedemptionId.parse(row.redemptionId())
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "bad redemption id in MySQL: " + row.redemptionId()));
    return new Redemption(
        id,
        row.userId(),
        row.orderAmountCents(),
        row.discountCents(),
        row.status(),
        row.acceptedAt(),
        row.status() == RedemptionStatus.REVERSED ? row.reversedAt() : null);
  }
}
