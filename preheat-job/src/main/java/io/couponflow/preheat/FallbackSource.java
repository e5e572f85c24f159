package io.couponflow.preheat;

import java.util.function.LongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * MySQL first; once MySQL is unreachable (its breaker opened), the last good snapshot for the rest
 * of the run, from the id after the last one MySQL gave.
 *
 * <p>Thread-safety: not thread-safe.
 */
final class FallbackSource implements CouponSource {
  private static final Logger log = LoggerFactory.getLogger(FallbackSource.class);

  private final MySqlSource mysql;
  private final LongFunction<CouponSource> snapshotAfter;
  private CouponSource snapshot;
  private boolean mysqlRead;
  private String fallbackReason;

  /**
   * @param snapshotAfter opens the snapshot from the id after the given one; throws {@link
   *     SourceUnavailableException} when there is no usable snapshot
   */
  FallbackSource(MySqlSource mysql, LongFunction<CouponSource> snapshotAfter) {
    this.mysql = mysql;
    this.snapshotAfter = snapshotAfter;
  }

  @Override
  public long expectedTotal() {
    if (snapshot != null) {
      return snapshot.expectedTotal();
    }
    try {
      return mysql.expectedTotal();
    } catch (SourceUnavailableException e) {
      fallBack(e);
      return snapshot.expectedTotal();
    }
  }

  @Override
  public Page next() {
    if (snapshot == null) {
      try {
        Page page = mysql.next();
        mysqlRead = true;
        return page;
      } catch (SourceUnavailableException e) {
        fallBack(e);
      }
    }
    return snapshot.next();
  }

  private void fallBack(SourceUnavailableException cause) {
    fallbackReason = cause.getMessage();
    try {
      snapshot = snapshotAfter.apply(mysql.lastId());
    } catch (SourceUnavailableException e) {
      throw new SourceUnavailableException(cause.getMessage() + ", and " + e.getMessage(), e);
    }
    log.warn(
        "MySQL is unreachable ({}); reading the last good snapshot instead{}",
        cause.getMessage(),
        mysql.lastId() > 0 ? " after coupon " + mysql.lastId() : "");
  }

  /** Why the run fell back to the snapshot; null while it reads MySQL. */
  String fallbackReason() {
    return fallbackReason;
  }

  boolean usedSnapshot() {
    return snapshot != null;
  }

  @Override
  public String name() {
    if (snapshot == null) {
      return mysqlRead ? "mysql" : "none";
    }
    return mysqlRead ? "mysql+snapshot" : "snapshot";
  }

  @Override
  public void close() {
    mysql.close();
    if (snapshot != null) {
      snapshot.close();
    }
  }
}
