package io.couponflow.sink;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxBacklog;
import io.couponflow.lua.OutboxEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists what the fast path missed: outbox entries older than a minimum age (left by a crash, a
 * full queue or a MySQL outage).
 *
 * <p>Scope: a full sweep covers every coupon with an outbox key, found by SCAN on every master (a
 * coupon's outbox key exists only while it has pending entries). SCAN walks the whole keyspace, so
 * between full sweeps a known-coupons sweep covers only the coupons the last sweep found pending
 * plus those this process accepted or left to the outbox since ({@link #markPending}); entries
 * another gateway left behind wait for the next full sweep. Each sweep first measures the backlog
 * of the coupons it covers (pipelined {@code cf_outbox_backlog}: the length, the oldest id and the
 * clock of its coupon's Redis node) for the outbox metrics, and forgets coupons whose outbox is
 * empty.
 *
 * <p>Order: oldest first. Each coupon's outbox is read in id order, in pages of a batch, and the
 * coupons take turns page by page, so after an outage every coupon's oldest pending entry gets
 * younger with every round and the lag shrinks steadily. A sweep stops at what was already old
 * enough when it began, so it ends even while new entries keep arriving.
 *
 * <p>Concurrency: sweepers on several gateways, and the drainer, may take the same entry at once;
 * storing an entry twice changes nothing and deleting it twice is harmless, so no row is written
 * twice and none is lost. One sweep runs at a time per sweeper.
 */
public final class OutboxSweeper {
  private static final Logger log = LoggerFactory.getLogger(OutboxSweeper.class);
  private static final Duration SCAN_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);

  private final CouponFunctions functions;
  private final BatchWriter writer;
  private final SinkMetrics metrics;
  private final int pageSize;
  private final Set<Long> reported = ConcurrentHashMap.newKeySet();
  private final Set<Long> known = new HashSet<>();

  public OutboxSweeper(
      CouponFunctions functions, BatchWriter writer, SinkMetrics metrics, int pageSize) {
    if (pageSize < 1) {
      throw new IllegalArgumentException("pageSize: " + pageSize + " (expected: > 0)");
    }
    this.functions = functions;
    this.writer = writer;
    this.metrics = metrics;
    this.pageSize = pageSize;
  }

  /** What one sweep did. */
  public record Report(int coupons, int stored, int deadLettered, int deferred) {}

  /**
   * Called from any thread when a coupon may have entries in its outbox (one was just accepted, or
   * left to the outbox), so that the next known-coupons sweep covers it. Cheap when the coupon is
   * already marked.
   */
  public void markPending(long couponId) {
    if (!reported.contains(couponId)) {
      reported.add(couponId);
    }
  }

  /**
   * Sweeps every coupon with an outbox (SCAN), taking entries at least {@code minAge} old.
   *
   * @throws MySqlUnavailableException when MySQL cannot be written (the sweep stops there)
   */
  public synchronized Report sweep(Duration minAge) {
    List<Long> found = functions.couponsWithPendingOutbox(SCAN_TIMEOUT);
    known.clear();
    try {
      return sweep(found, minAge);
    } catch (RuntimeException e) {
      reported.addAll(found);
      throw e;
    }
  }

  /**
   * Sweeps the coupons known to have pending entries (found by the last full sweep, or reported
   * since), without a SCAN.
   *
   * @throws MySqlUnavailableException when MySQL cannot be written (the sweep stops there)
   */
  public synchronized Report sweepKnown(Duration minAge) {
    Set<Long> coupons = new TreeSet<>(known);
    for (Iterator<Long> it = reported.iterator(); it.hasNext(); ) {
      coupons.add(it.next());
      it.remove();
    }
    known.clear();
    try {
      return sweep(List.copyOf(coupons), minAge);
    } catch (RuntimeException e) {
      reported.addAll(coupons);
      throw e;
    }
  }

  private Report sweep(List<Long> candidates, Duration minAge) {
    List<Long> coupons = new ArrayList<>(candidates.size());
    Map<Long, Long> redisNow = observe(candidates, coupons);
    known.addAll(coupons);
    Map<Long, String> cursors = new LinkedHashMap<>();
    coupons.forEach(c -> cursors.put(c, null));
    int stored = 0;
    int dead = 0;
    int deferred = 0;
    while (!cursors.isEmpty()) {
      Iterator<Map.Entry<Long, String>> turn = cursors.entrySet().iterator();
      while (turn.hasNext()) {
        Map.Entry<Long, String> coupon = turn.next();
        List<OutboxEntry> page =
            functions
                .outboxRead(coupon.getKey(), minAge, pageSize, coupon.getValue())
                .orTimeout(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .join();
        if (page.isEmpty()) {
          turn.remove();
          continue;
        }
        BatchWriter.Report r = writer.write(page);
        stored += r.stored();
        dead += r.deadLettered();
        deferred += r.deferred();
        OutboxEntry last = page.get(page.size() - 1);
        long cutoff = redisNow.get(coupon.getKey()) - minAge.toMillis();
        if (page.size() < pageSize || last.appendedAtMillis() > cutoff) {
          turn.remove();
        } else {
          coupon.setValue(last.id());
        }
      }
    }
    if (stored + dead > 0) {
      log.info(
          "Outbox sweep stored {} entries ({} dead letters, {} deferred) across {} coupons",
          stored,
          dead,
          deferred,
          coupons.size());
    }
    return new Report(coupons.size(), stored, dead, deferred);
  }

  /**
   * Measures the backlog of the given coupons in one pipelined round trip ({@link
   * CouponFunctions#outboxBacklog}) and publishes it. Each coupon's entries are aged against the
   * clock of the Redis node that holds it, the clock that stamped their ids.
   *
   * @param pending receives the coupons whose outbox is not empty
   * @return the Redis clock, in milliseconds, of each coupon's node
   */
  private Map<Long, Long> observe(List<Long> coupons, List<Long> pendingCoupons) {
    List<CompletableFuture<OutboxBacklog>> backlogs = new ArrayList<>(coupons.size());
    for (long coupon : coupons) {
      backlogs.add(functions.outboxBacklog(coupon));
    }
    Map<Long, Long> now = new HashMap<>();
    long pending = 0;
    long oldestAge = 0;
    try {
      for (int i = 0; i < coupons.size(); i++) {
        OutboxBacklog backlog = backlogs.get(i).get(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        now.put(coupons.get(i), backlog.redisNow().toEpochMilli());
        if (backlog.pending() > 0) {
          pendingCoupons.add(coupons.get(i));
        }
        pending += backlog.pending();
        oldestAge = Math.max(oldestAge, backlog.oldestPendingAge().toMillis());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted measuring the outbox", e);
    } catch (Exception e) {
      throw new IllegalStateException("cannot measure the outbox: " + e, e);
    }
    metrics.outbox(pending, oldestAge);
    return now;
  }
}
