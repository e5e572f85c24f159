package io.couponflow.lua;

/** What {@code cf_repair_end} (or {@code cf_repair_write}) answered. */
public sealed interface RepairEnd {
  /** The repair's writes are in; with {@code cf_repair_end}, the coupon is live again. */
  record Done(Counters counters) implements RepairEnd {}

  /** The coupon was live already (another process repaired it): nothing was written. */
  record AlreadyLive() implements RepairEnd {}

  /** The node's incarnation changed since the repair began: start over. */
  record EpochChanged() implements RepairEnd {}

  /** Redis no longer holds the coupon's meta (flushed during the repair): start over. */
  record CouponMissing() implements RepairEnd {}
}
