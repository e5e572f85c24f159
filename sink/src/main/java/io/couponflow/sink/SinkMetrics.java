package io.couponflow.sink;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The sink's meters. Thread-safety: safe for use by many threads. */
public final class SinkMetrics {
  private final Counter rowsWritten;
  private final Counter deadLetters;
  private final Counter conflicts;
  private final Timer flushLatency;
  private final DistributionSummary batchSize;
  private final Counter outages;
  private final Counter leftToOutbox;
  private final AtomicLong outboxPending = new AtomicLong();
  private final AtomicLong outboxOldestAgeMillis = new AtomicLong();

  public SinkMetrics(MeterRegistry registry) {
    this.rowsWritten =
        Counter.builder("couponflow.sink.rows.written")
            .description("Outbox entries stored in MySQL")
            .register(registry);
    this.deadLetters =
        Counter.builder("couponflow.sink.dead.letters")
            .description("Outbox entries MySQL refused, kept in the dead_letter table")
            .register(registry);
    this.conflicts =
        Counter.builder("couponflow.sink.conflicts")
            .description(
                "Accepts MySQL refused because it holds their redemption id under another key, or"
                    + " their key under another redemption id (dead-lettered; each is a redemption"
                    + " Redis decided twice)")
            .register(registry);
    this.flushLatency =
        Timer.builder("couponflow.sink.flush")
            .description("Time to store and acknowledge one batch")
            .publishPercentileHistogram()
            .register(registry);
    this.batchSize =
        DistributionSummary.builder("couponflow.sink.batch.size")
            .description("Entries per stored batch")
            .publishPercentileHistogram()
            .register(registry);
    this.outages =
        Counter.builder("couponflow.sink.mysql.failures")
            .description("Batches that could not be written because MySQL was unavailable")
            .register(registry);
    this.leftToOutbox =
        Counter.builder("couponflow.sink.left.to.outbox")
            .description(
                "Entries the drainer let go unwritten (MySQL unavailable, breaker open, catch-up);"
                    + " the outbox sweeper stores them")
            .register(registry);
    Gauge.builder("couponflow.sink.outbox.pending", outboxPending, AtomicLong::get)
        .description("Outbox entries not yet in MySQL, across all coupons, at the last sweep")
        .register(registry);
    TimeGauge.builder(
            "couponflow.sink.outbox.oldest.age",
            outboxOldestAgeMillis,
            TimeUnit.MILLISECONDS,
            AtomicLong::get)
        .description("Age of the oldest outbox entry not yet in MySQL, at the last sweep")
        .register(registry);
  }

  void recordFlush(int rows, long nanos) {
    rowsWritten.increment(rows);
    batchSize.record(rows);
    flushLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  void conflict() {
    conflicts.increment();
  }

  void deadLettered(int count) {
    if (count > 0) {
      deadLetters.increment(count);
    }
  }

  void outage() {
    outages.increment();
  }

  void leftToOutbox(int count) {
    if (count > 0) {
      leftToOutbox.increment(count);
    }
  }

  void outbox(long pending, long oldestAgeMillis) {
    outboxPending.set(pending);
    outboxOldestAgeMillis.set(oldestAgeMillis);
  }

  /** Outbox entries pending at the last sweep. */
  public long outboxPending() {
    return outboxPending.get();
  }

  /** Age of the oldest pending outbox entry at the last sweep, in milliseconds. */
  public long outboxOldestAgeMillis() {
    return outboxOldestAgeMillis.get();
  }
}
