package io.couponflow.lua;

import io.couponflow.model.Coupon;
import java.util.Objects;

/**
 * A coupon as Redis holds it: the definition it applied last, and the live counters.
 *
 * <p>The definition is the one {@code cf_load} applied, whole but for one field: Redis does not
 * hold MySQL's {@code hot} flag (it picks what the preheat job loads and decides nothing in Redis),
 * so {@code definition().hot()} is always false here; ask MySQL for it.
 */
public record LiveCoupon(Coupon definition, Counters counters) {
  public LiveCoupon {
    Objects.requireNonNull(definition, "definition");
    Objects.requireNonNull(counters, "counters");
  }

  public long couponId() {
    return definition.couponId();
  }

  /** The bucket count, which names the coupon's keys. */
  public int buckets() {
    return definition.buckets();
  }

  /** Remaining stock. */
  public long stock() {
    return counters.stock();
  }

  /** Redemptions currently accepted. */
  public long accepted() {
    return counters.accepted();
  }

  /** Redemptions reversed so far. */
  public long reversed() {
    return counters.reversed();
  }
}
