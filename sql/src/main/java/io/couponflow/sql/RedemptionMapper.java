package io.couponflow.sql;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.apache.ibatis.annotations.Param;

/** Writes and reads of the {@code redemption} table (SQL in RedemptionMapper.xml). */
public interface RedemptionMapper {
  /**
   * Inserts accepted redemptions in one multi-row statement. A row already stored under the same
   * (coupon, idempotency key) and redemption id is left as it is, so replays are harmless; the same
   * key under another redemption id, or the same redemption id under another key, fails the
   * statement (a poison row for the sink to bisect and dead-letter).
   */
  int upsertAll(@Param("rows") List<RedemptionRow> rows);

  /** The single-row form of {@link #upsertAll}, for JDBC batches. */
  int upsert(RedemptionRow row);

  /**
   * Marks a stored redemption reversed; the first reversal time and reason win.
   *
   * @return 1 when the row exists (reversed now or before), 0 when it is not stored yet
   */
  int markReversed(
      @Param("redemptionId") String redemptionId,
      @Param("reversedAt") Instant reversedAt,
      @Param("reason") String reason);

  Optional<RedemptionRow> findByRedemptionId(@Param("redemptionId") String redemptionId);

  Optional<RedemptionRow> findByKey(
      @Param("couponId") long couponId, @Param("idempotencyKey") String idempotencyKey);

  /**
   * One page of a coupon's rows in redemption-id order, starting after {@code afterRedemptionId}
   * (null for the first page). Every id of coupon 42 starts with {@code "42."}, so the page is a
   * range scan of the unique redemption-id index.
   */
  default List<RedemptionRow> pageOfCoupon(long couponId, String afterRedemptionId, int limit) {
    String from = couponId + ".";
    String after =
        afterRedemptionId == null || afterRedemptionId.compareTo(from) < 0
            ? from
            : afterRedemptionId;
    return findInIdRange(after, couponId + "/", limit);
  }

  /** Rows whose redemption id is in (after, before), in id order. */
  List<RedemptionRow> findInIdRange(
      @Param("after") String after, @Param("before") String before, @Param("limit") int limit);

  RedemptionCounts countsFor(@Param("couponId") long couponId);

  List<RedemptionCounts> countsForCoupons(@Param("couponIds") Collection<Long> couponIds);
}
