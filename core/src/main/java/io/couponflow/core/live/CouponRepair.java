package io.couponflow.core.live;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponRecords;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.RepairEnd;
import io.couponflow.lua.RepairStart;
import io.couponflow.model.Coupon;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import org.apache.ibatis.session.SqlSession;
import org.apache.ibatis.session.SqlSessionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a coupon live in Redis from MySQL: the one way the gateway (on demand), the preheat job and
 * ops create a coupon in Redis and repair one that Redis may have lost writes of.
 *
 * <p>The protocol (see "Fencing" in {@code couponflow.lua}). {@code cf_repair_begin} tells whether
 * the coupon is live, whether the node's incarnation must settle first, or the epoch a repair runs
 * under. A coupon Redis does not hold and MySQL has no redemption of is created live at once
 * ({@code cf_load}, told how long ago its counts were read: after the node had settled). Any other
 * is repaired: its definition refreshed, everything Redis and MySQL hold of it read whole, the
 * state both imply computed ({@link RepairPlan}), the difference written ({@code cf_repair_write}),
 * and the counters set with the epoch last ({@code cf_repair_end}). When MySQL's rows moved while
 * the repair wrote (the sink storing redemptions accepted before the loss), it merges again before
 * it unfences. A restart or failover in the middle makes every later call refuse (the epoch
 * changed), and the repair starts over; another process repairing the same coupon makes it stop.
 * Repairs are idempotent: running one twice, or two at once, writes the same state.
 *
 * <p>Blocking: reads MySQL and waits for Redis; call it off event loops. Thread-safety: safe for
 * use by many threads.
 */
public final class CouponRepair {
  private static final Logger log = LoggerFactory.getLogger(CouponRepair.class);
  static final int PAGE = 1000;
  private static final int ATTEMPTS = 5;
  private static final int MERGES = 10;
  private static final Duration SETTLE_MARGIN = Duration.ofSeconds(5);

  private final CouponFunctions functions;
  private final SqlSessionFactory sessions;

  /** The settle time is the Redis settings' (COUPON_REPAIR_SETTLE). */
  public CouponRepair(CouponFunctions functions, SqlSessionFactory sessions) {
    this.functions = functions;
    this.sessions = sessions;
  }

  /** What {@link #makeLive} did. */
  public sealed interface Outcome {
    /** The coupon was live already; nothing was written. */
    record Live() implements Outcome {}

    /** The Redis node is too young to repair from MySQL yet: ask again after {@code remaining}. */
    record Settling(Duration remaining) implements Outcome {}

    /** Redis did not hold the coupon and MySQL has no redemption of it: created live. */
    record Created(long stock) implements Outcome {}

    /** The coupon was fenced (or Redis lost it) and is live again. */
    record Repaired(RepairReport report) implements Outcome {}

    /** MySQL does not know the coupon. */
    record Unknown() implements Outcome {}
  }

  /** Makes the coupon live, reading its definition from MySQL. */
  public Outcome makeLive(long couponId) {
    return attempt(couponId, () -> read(m -> m.findById(couponId)));
  }

  /** Makes the coupon live, given its definition as MySQL holds it. */
  public Outcome makeLive(Coupon coupon) {
    return attempt(coupon.couponId(), () -> Optional.of(coupon));
  }

  /**
   * Puts a coupon MySQL has just defined, so that no redemption of it can exist, into Redis: {@code
   * cf_load} with counts of zero read just now. It is live at once on a settled Redis node, and
   * created fenced on a young one (and repaired when first used); a copy Redis already held is
   * refreshed instead.
   */
  public CompletableFuture<LoadOutcome> create(Coupon coupon) {
    return functions.load(coupon, 0, 0, Duration.ZERO);
  }

  /**
   * Puts a coupon into Redis whose redemption counts the caller read from MySQL as zero, {@code
   * countsReadAgo} ago (the preheat job reads a page of coupons with their counts, then loads them
   * pipelined): live at once if the Redis node had settled by the time of that read, else fenced
   * (and repaired when first used). Never blocks.
   */
  public CompletableFuture<LoadOutcome> createUnredeemed(Coupon coupon, Duration countsReadAgo) {
    return functions.load(coupon, 0, 0, countsReadAgo);
  }

  /**
   * Applies MySQL's definition to the coupon Redis holds ({@code cf_load}: a newer version only,
   * and a change of total stock as the same delta of the remaining stock). It reads MySQL's counts
   * of the coupon's redemptions first (blocking): they count only if Redis lost the coupon
   * meanwhile, which is then created fenced and repaired when first used.
   */
  public CompletableFuture<LoadOutcome> refresh(Coupon coupon) {
    RedemptionCounts counts = counts(coupon.couponId());
    return functions.load(coupon, counts.accepted(), counts.reversed());
  }

  /**
   * How long a caller that may block waits for a young Redis node to settle: the settle time
   * (COUPON_REPAIR_SETTLE) and 5 s more.
   */
  public Duration settleBound() {
    return functions.repairSettle().plus(SETTLE_MARGIN);
  }

  /** What {@link #makeLiveWaiting} did, and how long it slept while the Redis node settled. */
  public record Waited(Outcome outcome, Duration waited) {}

  /**
   * Makes the coupon live like {@link #makeLive(Coupon)}, sleeping while the Redis node settles as
   * long as the whole wait stays within {@code bound}: the form for callers that may block (the
   * CLI, reconcile).
   *
   * @return the outcome, {@link Outcome.Settling} when waiting longer would pass {@code bound}
   */
  public Waited makeLiveWaiting(Coupon coupon, Duration bound) {
    Duration waited = Duration.ZERO;
    while (true) {
      Outcome outcome = makeLive(coupon);
      if (!(outcome instanceof Outcome.Settling settling)
          || waited.plus(settling.remaining()).compareTo(bound) > 0) {
        return new Waited(outcome, waited);
      }
      sleep(settling.remaining());
      waited = waited.plus(settling.remaining());
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(Math.max(1, d.toMillis()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted");
    }
  }

  private Outcome attempt(long couponId, java.util.function.Supplier<Optional<Coupon>> definition) {
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      RepairStart start = join(functions.repairBegin(couponId));
      if (start instanceof RepairStart.Live) {
        return new Outcome.Live();
      }
      if (start instanceof RepairStart.Settling s) {
        return new Outcome.Settling(s.remaining());
      }
      RepairStart.Fenced fenced = (RepairStart.Fenced) start;
      Optional<Coupon> coupon = definition.get();
      if (coupon.isEmpty()) {
        return new Outcome.Unknown();
      }
      Outcome outcome = repair(coupon.get(), fenced);
      if (outcome != null) {
        return outcome;
      }
      log.info(
          "Repair of coupon {} was interrupted (attempt {}); starting over", couponId, attempt);
    }
    throw new IllegalStateException(
        "coupon "
            + couponId
            + ": the repair was interrupted "
            + ATTEMPTS
            + " times (is Redis restarting or failing over again and again?)");
  }

  /** One attempt; null when it must start over. */
  private Outcome repair(Coupon coupon, RepairStart.Fenced fenced) {
    long couponId = coupon.couponId();
    long read = System.nanoTime();
    RedemptionCounts counts = counts(couponId);
    if (fenced.absent()) {
      // Without redemptions it may be created live; with some, it is created fenced (its
      // counters do not matter yet: the repair below sets them).
      boolean none = counts.accepted() + counts.reversed() == 0;
      LoadOutcome loaded =
          join(
              functions.load(
                  coupon, 0, 0, none ? Duration.ofNanos(System.nanoTime() - read) : null));
      if (loaded instanceof LoadOutcome.Created created && created.live()) {
        return new Outcome.Created(created.stock());
      }
      if (loaded instanceof LoadOutcome.Refused refused) {
        throw new IllegalStateException(
            "coupon " + couponId + " cannot be loaded into Redis: " + refused.reason());
      }
    } else {
      LoadOutcome refreshed = join(functions.load(coupon, counts.accepted(), counts.reversed()));
      if (refreshed instanceof LoadOutcome.Refused refused) {
        log.warn("Coupon {}: MySQL's definition cannot be applied: {}", couponId, refused.reason());
      }
    }
    for (int merge = 1; ; merge++) {
      List<RedemptionRow> rows = rows(couponId);
      CouponRecords current = join(functions.records(couponId, coupon.buckets()));
      List<OutboxEntry> outbox = outbox(couponId);
      RepairPlan plan = RepairPlan.of(coupon, rows, current, outbox);
      RepairEnd written =
          join(
              functions.repairWrite(
                  couponId, coupon.buckets(), fenced.epoch(), current, plan.target()));
      if (written instanceof RepairEnd.AlreadyLive) {
        return new Outcome.Live();
      }
      if (!(written instanceof RepairEnd.Done)) {
        return null;
      }
      if (merge < MERGES && !counts(couponId).equals(countsOf(couponId, rows))) {
        continue;
      }
      RepairEnd ended = join(functions.repairEnd(couponId, fenced.epoch(), plan.counters()));
      if (ended instanceof RepairEnd.AlreadyLive) {
        return new Outcome.Live();
      }
      if (!(ended instanceof RepairEnd.Done)) {
        return null;
      }
      acknowledge(couponId, plan.acknowledge());
      RepairReport report = plan.report();
      if (report.changedAnything() || report.oversoldBy() > 0) {
        log.warn(
            "Repaired coupon {} from MySQL: {} redemptions and {} reversals put back, {} keys, {}"
                + " user counts fixed, {} contradictions, oversold by {}; live with {}",
            couponId,
            report.restored().size(),
            report.reversalsRestored().size(),
            report.keysRestored(),
            report.userCountsFixed(),
            report.contradictions().size(),
            report.oversoldBy(),
            report.counters());
      } else {
        log.info("Coupon {} verified against MySQL; live with {}", couponId, report.counters());
      }
      return new Outcome.Repaired(report);
    }
  }

  private void acknowledge(long couponId, List<OutboxEntry> entries) {
    if (!entries.isEmpty()) {
      join(functions.outboxAck(couponId, entries.stream().map(OutboxEntry::id).toList()));
    }
  }

  private RedemptionCounts counts(long couponId) {
    return readRedemptions(m -> m.countsFor(couponId));
  }

  private static RedemptionCounts countsOf(long couponId, List<RedemptionRow> rows) {
    long accepted = rows.stream().filter(r -> r.status() == RedemptionStatus.ACCEPTED).count();
    return new RedemptionCounts(couponId, accepted, rows.size() - accepted);
  }

  private List<RedemptionRow> rows(long couponId) {
    List<RedemptionRow> all = new ArrayList<>();
    String after = null;
    while (true) {
      String from = after;
      List<RedemptionRow> page = readRedemptions(m -> m.pageOfCoupon(couponId, from, PAGE));
      all.addAll(page);
      if (page.size() < PAGE) {
        return all;
      }
      after = page.get(page.size() - 1).redemptionId();
    }
  }

  private List<OutboxEntry> outbox(long couponId) {
    List<OutboxEntry> all = new ArrayList<>();
    String after = null;
    while (true) {
      List<OutboxEntry> page = join(functions.outboxRead(couponId, Duration.ZERO, PAGE, after));
      all.addAll(page);
      if (page.size() < PAGE) {
        return all;
      }
      after = page.get(page.size() - 1).id();
    }
  }

  private <T> T read(Function<CouponMapper, T> query) {
    try (SqlSession session = sessions.openSession(true)) {
      return query.apply(session.getMapper(CouponMapper.class));
    }
  }

  private <T> T readRedemptions(Function<RedemptionMapper, T> query) {
    try (SqlSession session = sessions.openSession(true)) {
      return query.apply(session.getMapper(RedemptionMapper.class));
    }
  }

  private static <T> T join(CompletableFuture<T> future) {
    try {
      return future.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }
}
