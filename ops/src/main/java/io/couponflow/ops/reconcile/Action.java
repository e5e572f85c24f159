package io.couponflow.ops.reconcile;

import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.sql.RedemptionRow;
import java.util.List;

/** One repair {@code reconcile --apply} makes, as {@link Diagnose} plans it; run in list order. */
public sealed interface Action {

  /**
   * Makes the coupon live from MySQL with {@code CouponRepair}: it reads Redis and MySQL whole,
   * keeps every redemption either side records (MySQL's facts win, a reversal beats an accept),
   * derives the user counts, keys and counters, writes the difference, and unfences. A coupon Redis
   * holds is fenced first ({@code fence}), so that it decides nothing while it is repaired.
   */
  record MakeLive(Coupon coupon, boolean fence) implements Action {}

  /** Loads MySQL's newer definition into Redis. */
  record LoadDefinition(Coupon coupon) implements Action {}

  /** Stores the outbox's entries in MySQL through the sink's writer. */
  record ReplayOutbox(long couponId, long pending) implements Action {}

  /** Writes rows MySQL lacks, rebuilt from Redis's records. */
  record WriteRows(List<RedemptionRow> rows) implements Action {
    public WriteRows {
      rows = List.copyOf(rows);
    }
  }

  /** Marks rows REVERSED that Redis records as reversed. */
  record MarkReversed(List<Redemption> reversals) implements Action {
    public MarkReversed {
      reversals = List.copyOf(reversals);
    }
  }
}
