package io.couponflow.ops.reconcile;

/**
 * One way a coupon's Redis state and its MySQL rows disagree, with what is known of its cause.
 *
 * @param detail one line for people: the numbers and, where known, the redemption ids
 */
public record Drift(Kind kind, String detail) {

  /** The kinds of drift reconcile tells apart, each with the repair {@code --apply} makes. */
  public enum Kind {
    /**
     * Redis does not hold the coupon while MySQL holds its rows: Redis lost it (a crash without
     * AOF, a failover to an empty replica). Repair: load it from MySQL and restore every row.
     */
    REDIS_LOST("Redis lost the coupon (crash without AOF?)"),
    /** Redis does not hold the coupon and MySQL has no rows: never loaded. Repair: load it. */
    NOT_IN_REDIS("not live in Redis"),
    /** Redis holds a coupon MySQL does not define. Not repaired: a person must decide. */
    NOT_IN_MYSQL("in Redis but not defined in MySQL"),
    /** Redis holds an older definition than MySQL. Repair: load the newer one (cf_load). */
    DEFINITION_BEHIND("definition in Redis is behind MySQL"),
    /** Outbox entries older than the grace are not in MySQL yet. Repair: replay them. */
    OUTBOX_NOT_DRAINED("outbox not drained yet"),
    /**
     * Redis holds redemptions (or reversals) that neither MySQL nor the outbox has: a row missing
     * in MySQL. Repair: write the rows from Redis's records.
     */
    ROW_MISSING_IN_MYSQL("row missing in MySQL"),
    /**
     * MySQL holds redemptions Redis has no record of: Redis lost part of its data (restored from an
     * older snapshot, or reloaded without its records). Repair: restore them (cf_restore).
     */
    RECORD_MISSING_IN_REDIS("redemption missing in Redis"),
    /**
     * A live counter (stock, accepted, reversed) differs from what MySQL and the outbox say once
     * the causes above are accounted for. Repair: correct it (cf_reconcile_apply), only while live
     * traffic has not moved it.
     */
    COUNTER_WRONG("Redis counter wrong");

    private final String label;

    Kind(String label) {
      this.label = label;
    }

    /** What people read, e.g. "row missing in MySQL". */
    public String label() {
      return label;
    }
  }

  @Override
  public String toString() {
    return kind.label() + ": " + detail;
  }
}
