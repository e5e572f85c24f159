package io.couponflow.lua;

import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import java.util.Map;
import java.util.TreeMap;

/**
 * Everything Redis records of one coupon's redemptions, read whole ({@link
 * CouponFunctions#records}), or the state a repair wants Redis to hold ({@link
 * CouponFunctions#repairWrite}).
 *
 * @param redemptions every redemption the coupon records, the orders' latest and the ones a newer
 *     generation replaced
 * @param users per user, the accepted redemptions the user holds (only counts above zero)
 * @param keys per idempotency key still remembered, the redemption it led to
 */
public record CouponRecords(
    Map<RedemptionId, Redemption> redemptions,
    Map<String, Long> users,
    Map<String, RedemptionId> keys) {

  public CouponRecords {
    redemptions = Map.copyOf(redemptions);
    users = Map.copyOf(users);
    keys = Map.copyOf(keys);
  }

  public static CouponRecords empty() {
    return new CouponRecords(Map.of(), Map.of(), Map.of());
  }

  /** The counts the redemptions imply: accepted and reversed. */
  public long accepted() {
    return redemptions.values().stream()
        .filter(r -> r.status() == RedemptionStatus.ACCEPTED)
        .count();
  }

  public long reversed() {
    return redemptions.size() - accepted();
  }

  /** Per order, its latest redemption (the one in the order's bucket). */
  Map<String, Redemption> latestPerOrder() {
    Map<String, Redemption> latest = new TreeMap<>();
    for (Redemption r : redemptions.values()) {
      latest.merge(
          r.orderId(),
          r,
          (a, b) -> a.redemptionId().generation() >= b.redemptionId().generation() ? a : b);
    }
    return latest;
  }
}
