package io.couponflow.ops.reconcile;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.sql.Database;
import java.time.Duration;

/** Reads one coupon's state from Redis and MySQL, writing nothing. */
@FunctionalInterface
public interface CouponReader {

  /**
   * One read of the coupon: its counters and outbox, its rows around them, and its records when
   * {@link Diagnose#needsRecords} asks for them.
   *
   * @param deep walk the records even when the counters agree
   */
  CouponState read(long couponId, boolean deep);

  /** Reads through the typed Redis calls and the MySQL mappers. */
  static CouponReader of(Database database, CouponFunctions functions, Duration redisWait) {
    return new StoreReader(database, functions, redisWait);
  }
}
