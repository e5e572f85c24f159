package io.couponflow.preheat;

import io.couponflow.sql.CouponRow;
import java.time.Instant;
import java.util.List;
import org.apache.ibatis.annotations.Param;
import org.apache.ibatis.annotations.ResultMap;
import org.apache.ibatis.annotations.Select;

/**
 * The preheat job's own reads of the {@code coupon} table: the selection in keyset pages, and how
 * many coupons it covers (for progress).
 *
 * <p>The page query forces the primary key. Left to itself, MariaDB 10.11 answers the all-active
 * selection through {@code ix_coupon_window} and sorts every matching row for each page, which
 * makes a run over a million coupons quadratic; walking the primary key reads each row once per
 * run, whatever the selection. Its rows map to unchecked {@link CouponRow}s through {@code
 * CouponMapper}'s result map, which {@link io.couponflow.sql.Database} registers before this
 * mapper, so that one bad row cannot fail the whole page.
 */
interface PreheatMapper {
  @Select({
    "<script>",
    "SELECT coupon_id, name, total_stock, per_user_limit, threshold_cents, discount_cents,",
    "       starts_at, ends_at, status, hot, buckets, version",
    "  FROM coupon FORCE INDEX (PRIMARY)",
    " WHERE coupon_id &gt; #{afterId}",
    "   AND ends_at &gt; #{now}",
    "   AND ((status = 'ACTIVE' AND starts_at &lt; #{horizon})",
    "        <if test='includeHot'>OR hot = TRUE</if>)",
    " ORDER BY coupon_id LIMIT #{limit}",
    "</script>"
  })
  @ResultMap("io.couponflow.sql.CouponMapper.couponRow")
  List<CouponRow> page(
      @Param("afterId") long afterId,
      @Param("limit") int limit,
      @Param("now") Instant now,
      @Param("horizon") Instant horizon,
      @Param("includeHot") boolean includeHot);

  @Select({
    "<script>",
    "SELECT COUNT(*) FROM coupon",
    " WHERE ends_at &gt; #{now}",
    "   AND ((status = 'ACTIVE' AND starts_at &lt; #{horizon})",
    "        <if test='includeHot'>OR hot = TRUE</if>)",
    "</script>"
  })
  long countForPreheat(
      @Param("now") Instant now,
      @Param("horizon") Instant horizon,
      @Param("includeHot") boolean includeHot);
}
