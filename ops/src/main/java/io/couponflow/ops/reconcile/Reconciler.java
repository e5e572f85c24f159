package io.couponflow.ops.reconcile;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sql.Database;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Compares one coupon in Redis with its rows in MySQL, and repairs what differs: it reads ({@link
 * CouponReader}), diagnoses ({@link Diagnose}, pure) and repairs ({@link Repairs}).
 *
 * <p>Settling: a stored entry may stay in the outbox for the moment between the sink's commit and
 * its acknowledgement, which looks like drift, so a drift counts only when two reads in a row show
 * the same one ({@link Diagnosis#agreesWith}). When {@value #READS} reads in a row never agree
 * (live traffic or a moving sink keeps changing them), the check says so ({@link
 * Finding.Unsettled}) and {@code --apply} refuses to act on that coupon.
 *
 * <p>Thread-safety: safe for use by many threads. Repairs are idempotent, but run one reconcile at
 * a time all the same: two would replay the same outbox entries and write the same rows.
 */
public final class Reconciler {
  /** How long reconcile waits for one Redis answer. */
  public static final Duration REDIS_WAIT = Duration.ofSeconds(30);

  private static final int READS = 10;

  private final CouponReader reader;
  private final Repairs repairs;
  private final Duration grace;

  /**
   * @param grace outbox entries younger than this are in flight, not drift
   */
  public Reconciler(
      Database database, CouponFunctions functions, BatchWriter writer, Duration grace) {
    this(database, functions, writer, grace, CouponReader.of(database, functions, REDIS_WAIT));
  }

  /** Reads through {@code reader} (tests use it to make reads move). */
  public Reconciler(
      Database database,
      CouponFunctions functions,
      BatchWriter writer,
      Duration grace,
      CouponReader reader) {
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(functions, "functions");
    Objects.requireNonNull(writer, "writer");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace: " + grace + " (expected: >= 0)");
    }
    this.reader = Objects.requireNonNull(reader, "reader");
    this.repairs = new Repairs(database, functions, writer, REDIS_WAIT);
    this.grace = grace;
  }

  /**
   * Compares without writing anything.
   *
   * @param deep walk the coupon's records even when the counters agree (finds a coupon a gateway
   *     reloaded after Redis lost it, whose counters are right but whose records are gone)
   */
  public CouponCheck check(long couponId, boolean deep) {
    CouponState state = reader.read(couponId, deep);
    Diagnosis diagnosis = Diagnose.of(state, grace);
    for (int read = 2; !diagnosis.consistent(); read++) {
      if (read > READS) {
        return new CouponCheck(couponId, state, Diagnose.unsettled(diagnosis, READS));
      }
      CouponState next = reader.read(couponId, deep);
      Diagnosis again = Diagnose.of(next, grace);
      boolean agree = again.agreesWith(diagnosis);
      state = next;
      diagnosis = again;
      if (agree) {
        break;
      }
    }
    return new CouponCheck(couponId, state, diagnosis);
  }

  /** Checks, repairs what drifted, and checks again. */
  public Repair repair(long couponId, boolean deep) {
    CouponCheck before = check(couponId, deep);
    Optional<Finding> unsettled =
        before.findings().stream().filter(f -> f instanceof Finding.Unsettled).findFirst();
    if (unsettled.isPresent()) {
      return new Repair(
          before, List.of(new Done.Refused(((Finding.Unsettled) unsettled.get()).reads())), before);
    }
    if (before.consistent() || before.diagnosis().actions().isEmpty()) {
      return new Repair(before, List.of(), before);
    }
    List<Done> done = new ArrayList<>();
    for (Action action : before.diagnosis().actions()) {
      done.addAll(repairs.run(action));
    }
    if (!done.isEmpty()) {
      repairs.announce(couponId);
    }
    return new Repair(before, done, check(couponId, deep));
  }
}
