package io.couponflow.lua;

import java.time.Duration;

/** What {@code cf_repair_begin} answered: whether a coupon may be repaired (or created) now. */
public sealed interface RepairStart {
  /** The coupon is live in the node's current incarnation: nothing to repair. */
  record Live(String epoch) implements RepairStart {}

  /**
   * The node's incarnation is younger than the settle time: redemptions accepted just before the
   * loss may still be on their way to MySQL. Ask again after {@code remaining}.
   */
  record Settling(Duration remaining) implements RepairStart {}

  /**
   * The coupon may be repaired now under {@code epoch}, which every repair call carries.
   *
   * @param absent Redis holds no meta for it (lost whole, or never loaded): create it first
   */
  record Fenced(String epoch, boolean absent) implements RepairStart {}
}
