package io.couponflow.sink;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Persists what the fast path missed: outbox entries older than {@link SinkSettings#sweepMinAge()}
 * (left by a crash, a full queue or a MySQL outage).
 *
 * <p>Scope: every coupon with an outbox key, found by SCAN on every master; a coupon's outbox key
 * exists only while it has pending entries. Entries are read oldest first, in pages of a batch, and
 * written through the same {@link BatchWriter} as the fast path.
 *
 * <p>Concurrency: sweepers on several gateways, and the drainer, may take the same entry at once;
 * storing an entry twice changes nothing and deleting it twice is harmless, so no row is written
 * twice and none is lost. One sweep runs at a time per sweeper.
 */
public final class OutboxSweeper {
  private static final Logger log = LoggerFactory.getLogger(OutboxSweeper.class);
  private static final Duration SCAN_TIMEOUT = Duration.ofSeconds(30);

  private final CouponFunctions functions;
  private final BatchWriter writer;
  private final SinkSettings settings;

  public OutboxSweeper(CouponFunctions functions, BatchWriter writer, SinkSettings settings) {
    this.functions = functions;
    this.writer = writer;
    this.settings = settings;
  }

  /** What one sweep did. */
  public record Report(int coupons, int stored, int deadLettered, int deferred) {}

  /**
   * Sweeps every coupon once, taking entries at least {@code minAge} old.
   *
   * @throws MySqlUnavailableException when MySQL cannot be written (the sweep stops there)
   */
  public synchronized Report sweep(Duration minAge) {
    List<Long> coupons = functions.couponsWithPendingOutbox(SCAN_TIMEOUT);
    int stored = 0;
    int dead = 0;
    int deferred = 0;
    for (long coupon : coupons) {
      String after = null;
      while (true) {
        List<OutboxEntry> page =
            functions.outboxRead(coupon, minAge, settings.batchSize(), after).join();
        if (page.isEmpty()) {
          break;
        }
        BatchWriter.Report r = writer.write(page);
        stored += r.stored();
        dead += r.deadLettered();
        deferred += r.deferred();
        if (page.size() < settings.batchSize()) {
          break;
        }
        after = page.get(page.size() - 1).id();
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

  /** A sweep with the configured minimum age. */
  public Report sweep() {
    return sweep(settings.sweepMinAge());
  }
}
