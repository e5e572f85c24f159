package io.couponflow.preheat;

import java.time.Instant;
import org.apache.ibatis.annotations.Param;
import org.apache.ibatis.annotations.Select;

/**
 * The preheat job's own read of the {@code coupon} table: how many coupons a selection covers, for
 * progress. The pages themselves come from {@link io.couponflow.sql.CouponMapper#pageForPreheat},
 * whose rule this count repeats.
 */
interface PreheatMapper {
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
