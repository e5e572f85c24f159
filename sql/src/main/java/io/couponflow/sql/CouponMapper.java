package io.couponflow.sql;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.apache.ibatis.annotations.Param;

/** Writes and reads of the {@code coupon} table (SQL in CouponMapper.xml). */
public interface CouponMapper {
  /**
   * @return 1, or a duplicate-key failure when the id is taken
   */
  int insert(Coupon coupon);

  Optional<Coupon> findById(@Param("couponId") long couponId);

  /**
   * The row as stored, unchecked: for readers that must go on past a row {@link Coupon} refuses.
   */
  Optional<CouponRow> findRowById(@Param("couponId") long couponId);

  List<Coupon> findByIds(@Param("couponIds") Collection<Long> couponIds);

  /** The rows as stored, unchecked, in id order (see {@link #findRowById}). */
  List<CouponRow> findRowsByIds(@Param("couponIds") Collection<Long> couponIds);

  /** One page of all coupons in id order, after {@code afterId}. */
  List<Coupon> page(@Param("afterId") long afterId, @Param("limit") int limit);

  /**
   * Sets the status and bumps the version, only if the coupon is still at {@code expectedVersion}.
   *
   * @return 1 when changed, 0 when the coupon moved on (read it again)
   */
  int updateStatus(
      @Param("couponId") long couponId,
      @Param("status") CouponStatus status,
      @Param("expectedVersion") long expectedVersion);

  /**
   * Adds stock and bumps the version in one statement, only while the new total stays within {@link
   * Coupon#MAX_NUMBER} (the statement reads that constant): a total no reader can hold is never
   * written.
   *
   * @param add a positive amount
   * @return 1 when changed, 0 when the coupon does not exist or the new total would pass the bound
   */
  int addStock(@Param("couponId") long couponId, @Param("add") long add);

  long count();
}
