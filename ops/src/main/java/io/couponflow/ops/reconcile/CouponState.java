package io.couponflow.ops.reconcile;

import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.CouponRecords;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.Coupon;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionRow;
import java.util.List;
import java.util.Optional;

/**
 * What one read of a coupon saw in Redis and in MySQL ({@link CouponReader}); {@link Diagnose}
 * turns it into findings without further I/O.
 *
 * @param definition the coupon as MySQL defines it; empty when only Redis holds it
 * @param rows the ACCEPTED and REVERSED rows MySQL held around the Redis read (the same before and
 *     after it, unless the sink kept moving rows)
 * @param live the coupon, its counters and its outbox as Redis holds them, read in one atomic step;
 *     empty when Redis does not hold the coupon
 * @param records every record on both sides, when the read walked them (counters that disagree, or
 *     {@code --deep})
 */
public record CouponState(
    long couponId,
    Optional<Coupon> definition,
    RedemptionCounts rows,
    Optional<CouponInspection> live,
    Optional<Records> records) {

  /**
   * A coupon's records on both sides, read in the order rows, records, outbox, rows: a row read
   * first has its record in Redis already (records are written before rows, and never deleted), so
   * a row without a record is a record Redis lost; a record whose entry is gone from the outbox was
   * committed before it left, so a record in neither the outbox nor the rows read last is a row
   * MySQL lacks.
   */
  public record Records(
      List<RedemptionRow> rowsBefore,
      CouponRecords redis,
      List<OutboxEntry> outbox,
      List<RedemptionRow> rowsAfter) {

    public Records {
      rowsBefore = List.copyOf(rowsBefore);
      outbox = List.copyOf(outbox);
      rowsAfter = List.copyOf(rowsAfter);
    }
  }

  public CouponState withRecords(Records walked) {
    return new CouponState(couponId, definition, rows, live, Optional.of(walked));
  }

  /** The counters of a coupon as Redis holds it: stock, accepted, reversed. */
  public static Counters countersOf(CouponInspection live) {
    LiveCoupon c = live.coupon();
    return new Counters(c.stock(), c.accepted(), c.reversed());
  }
}
