package io.couponflow.ops.reconcile;

import io.couponflow.lua.Counters;
import io.couponflow.model.CouponStatus;
import java.time.Duration;
import java.util.List;

/**
 * One way a coupon's Redis state and its MySQL rows disagree, with what is known of its cause, or a
 * note about a coupon (it was oversold) that a repair cannot change. A value: the CLI renders it.
 */
public sealed interface Finding {

  /** The kinds of drift reconcile tells apart; each names the repair {@code --apply} makes. */
  enum Kind {
    /**
     * Redis does not hold the coupon while MySQL holds its rows: Redis lost it (a crash without
     * AOF, a failover to an empty replica). Repair: make it live from MySQL.
     */
    REDIS_LOST,
    /** Redis does not hold the coupon and MySQL has no rows: never loaded. Repair: load it. */
    NOT_IN_REDIS,
    /** Redis holds a coupon MySQL does not define. Not repaired: a person must decide. */
    NOT_IN_MYSQL,
    /**
     * The coupon's epoch is not the Redis node's incarnation: Redis restarted or failed over since
     * the coupon was last verified against MySQL, and may have lost writes it acknowledged. It
     * decides nothing until repaired. Repair: make it live from MySQL.
     */
    FENCED,
    /** Redis holds an older definition than MySQL. Repair: load the newer one (cf_load). */
    DEFINITION_BEHIND,
    /** Outbox entries older than the grace are not in MySQL yet. Repair: replay them. */
    OUTBOX_NOT_DRAINED,
    /**
     * Redis holds redemptions (or reversals) that neither MySQL nor the outbox has: a row missing
     * in MySQL. Repair: write the rows from Redis's records.
     */
    ROW_MISSING_IN_MYSQL,
    /**
     * MySQL holds redemptions (or reversals) Redis has no record of: Redis lost part of its data
     * (restored from an older snapshot, or reloaded without its records). Repair: fence the coupon
     * and repair it from MySQL.
     */
    RECORD_MISSING_IN_REDIS,
    /**
     * A live counter (stock, accepted, reversed) differs from what MySQL and the outbox say once
     * the causes above are accounted for. Repair: fence the coupon and repair it from MySQL, which
     * derives the counters from the records.
     */
    COUNTER_WRONG,
    /**
     * More redemptions are accepted than the coupon's total stock (an older version, or a fault
     * this service does not survive, oversold it). A note, not a drift: the repair cannot take
     * redemptions back; the coupon stays live with stock 0.
     */
    OVERSOLD,
    /**
     * Reads in a row kept disagreeing (live traffic, or a sink moving rows, changed what they
     * showed), so no drift could be told. Not repaired: {@code --apply} refuses to act on a moving
     * target.
     */
    UNSETTLED
  }

  Kind kind();

  /** Whether it makes the coupon drift; a note does not. */
  default boolean drift() {
    return true;
  }

  /**
   * What two reads in a row must both show for this finding to count. By default the whole finding;
   * a finding whose numbers live traffic moves compares only what traffic leaves alone.
   */
  default Object settled() {
    return this;
  }

  /** Redis holds the coupon, MySQL does not define it. */
  record NotInMySql(long stock, long accepted) implements Finding {
    @Override
    public Kind kind() {
      return Kind.NOT_IN_MYSQL;
    }

    @Override
    public Object settled() {
      return kind();
    }
  }

  /** Neither Redis holds the coupon nor MySQL any row of it. */
  record NotInRedis() implements Finding {
    @Override
    public Kind kind() {
      return Kind.NOT_IN_REDIS;
    }
  }

  /** Redis holds the coupon fenced: it decides nothing until repaired from MySQL. */
  record Fenced() implements Finding {
    @Override
    public Kind kind() {
      return Kind.FENCED;
    }
  }

  /** Redis holds nothing of a coupon MySQL has rows of. */
  record RedisLost(long acceptedRows, long reversedRows) implements Finding {
    @Override
    public Kind kind() {
      return Kind.REDIS_LOST;
    }
  }

  /** Redis applied an older definition than MySQL holds. */
  record DefinitionBehind(
      long redisVersion,
      long redisTotal,
      CouponStatus redisStatus,
      long mysqlVersion,
      long mysqlTotal,
      CouponStatus mysqlStatus)
      implements Finding {
    @Override
    public Kind kind() {
      return Kind.DEFINITION_BEHIND;
    }
  }

  /** Outbox entries at least the grace old. */
  record OutboxNotDrained(long pending, long accepts, long reversals, Duration oldest)
      implements Finding {
    @Override
    public Kind kind() {
      return Kind.OUTBOX_NOT_DRAINED;
    }

    @Override
    public Object settled() {
      return kind();
    }
  }

  /** Redemptions Redis records that neither MySQL nor the outbox holds, in id order. */
  record RowsMissingInMySql(List<String> redemptionIds) implements Finding {
    public RowsMissingInMySql {
      redemptionIds = List.copyOf(redemptionIds);
    }

    @Override
    public Kind kind() {
      return Kind.ROW_MISSING_IN_MYSQL;
    }
  }

  /** Reversals Redis records while MySQL still shows the row ACCEPTED and the outbox has none. */
  record ReversalsMissingInMySql(List<String> redemptionIds) implements Finding {
    public ReversalsMissingInMySql {
      redemptionIds = List.copyOf(redemptionIds);
    }

    @Override
    public Kind kind() {
      return Kind.ROW_MISSING_IN_MYSQL;
    }
  }

  /** Rows MySQL holds that Redis has no record of, in id order. */
  record RecordsMissingInRedis(List<String> redemptionIds) implements Finding {
    public RecordsMissingInRedis {
      redemptionIds = List.copyOf(redemptionIds);
    }

    @Override
    public Kind kind() {
      return Kind.RECORD_MISSING_IN_REDIS;
    }
  }

  /** Rows MySQL holds as REVERSED whose record Redis still holds as accepted, in id order. */
  record ReversalsMissingInRedis(List<String> redemptionIds) implements Finding {
    public ReversalsMissingInRedis {
      redemptionIds = List.copyOf(redemptionIds);
    }

    @Override
    public Kind kind() {
      return Kind.RECORD_MISSING_IN_REDIS;
    }
  }

  /**
   * Redis's counters are not the ones MySQL and the outbox imply.
   *
   * @param truth what they should be (stock never below 0: see {@link Oversold})
   * @param countingMissingRows truth counts rows MySQL lacks (they are in Redis's records)
   * @param total the total stock Redis holds
   */
  record CounterWrong(Counters redis, Counters truth, boolean countingMissingRows, long total)
      implements Finding {
    @Override
    public Kind kind() {
      return Kind.COUNTER_WRONG;
    }

    /** Live traffic moves the counters and the truth alike: what stays is the difference. */
    @Override
    public Object settled() {
      return new Counters(
          truth.stock() - redis.stock(),
          truth.accepted() - redis.accepted(),
          truth.reversed() - redis.reversed());
    }
  }

  /**
   * The coupon holds more accepted redemptions than its total stock.
   *
   * @param by accepted minus total
   */
  record Oversold(long by, long accepted, long total) implements Finding {
    @Override
    public Kind kind() {
      return Kind.OVERSOLD;
    }

    @Override
    public boolean drift() {
      return false;
    }

    @Override
    public Object settled() {
      return kind();
    }
  }

  /** {@code reads} reads in a row, none agreeing with the one before. */
  record Unsettled(int reads) implements Finding {
    @Override
    public Kind kind() {
      return Kind.UNSETTLED;
    }
  }
}
