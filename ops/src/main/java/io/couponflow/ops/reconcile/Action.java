package io.couponflow.ops.reconcile;

import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.sql.RedemptionRow;
import java.util.List;

/** One repair {@code reconcile --apply} makes, as {@link Diagnose} plans it; run in list order. */
public sealed interface Action {

  /** Makes a coupon Redis does not hold live from MySQL ({@code CouponRepair}). */
  record MakeLive(Coupon coupon) implements Action {}

  /** Loads MySQL's newer definition into Redis. */
  record LoadDefinition(Coupon coupon) implements Action {}

  /** Stores the outbox's entries in MySQL through the sink's writer. */
  record ReplayOutbox(long couponId, long pending) implements Action {}

  /** Puts back records Redis lost, from their rows. */
  record RestoreRecords(List<RedemptionRow> rows, int buckets) implements Action {
    public RestoreRecords {
      rows = List.copyOf(rows);
    }
  }

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

  /** Reads the counters again once the rows are right, and corrects them. */
  record CorrectCounters() implements Action {}
}
