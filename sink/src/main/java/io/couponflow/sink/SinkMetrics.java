package io.couponflow.sink;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/** The sink's meters. Thread-safety: safe for use by many threads. */
public final class SinkMetrics {
  private final Counter rowsWritten;
  private final Counter deadLetters;
  private final Timer flushLatency;
  private final DistributionSummary batchSize;
  private final Counter outages;

  public SinkMetrics(MeterRegistry registry) {
    this.rowsWritten =
        Counter.builder("couponflow.sink.rows.written")
            .description("Outbox entries stored in MySQL")
            .register(registry);
    this.deadLetters =
        Counter.builder("couponflow.sink.dead.letters")
            .description("Outbox entries MySQL refused, kept in the dead_letter table")
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
  }

  void recordFlush(int rows, long nanos) {
    rowsWritten.increment(rows);
    batchSize.record(rows);
    flushLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  void deadLettered(int count) {
    if (count > 0) {
      deadLetters.increment(count);
    }
  }

  void outage() {
    outages.increment();
  }
}
