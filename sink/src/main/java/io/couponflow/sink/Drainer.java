package io.couponflow.sink;

import io.couponflow.lua.OutboxEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fast path's consumer: takes batches off the {@link RedemptionQueue} and hands them to the
 * {@link BatchWriter}.
 *
 * <p>Drain loop: drain up to a batch; if the batch is not full, linger briefly for more, then write
 * outside the drain callback. With nothing queued the thread parks (up to {@link #IDLE_PARK}) and a
 * producer's offer wakes it: an idle drainer costs no CPU.
 *
 * <p>Failure: when MySQL is unavailable the batch is dropped from memory, not retried here; every
 * entry of it is still in the Redis outbox, where the sweeper finds it once MySQL is back. The
 * drainer backs off so it does not hammer a MySQL that is down.
 */
final class Drainer implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Drainer.class);
  static final long IDLE_PARK = TimeUnit.MILLISECONDS.toNanos(100);

  private final RedemptionQueue queue;
  private final BatchWriter writer;
  private final SinkMetrics metrics;
  private final int batchSize;
  private final long lingerNanos;
  private final Backoff backoff = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(5));
  private volatile boolean stopping;

  Drainer(RedemptionQueue queue, BatchWriter writer, SinkMetrics metrics, SinkSettings settings) {
    this.queue = queue;
    this.writer = writer;
    this.metrics = metrics;
    this.batchSize = settings.batchSize();
    this.lingerNanos = settings.linger().toNanos();
  }

  /** Asks the loop to end once the queue is empty. */
  void stop() {
    stopping = true;
    queue.wakeConsumer();
  }

  @Override
  public void run() {
    List<OutboxEntry> batch = new ArrayList<>(batchSize);
    while (true) {
      int n = queue.drain(batch::add, batchSize);
      if (n == 0) {
        if (stopping) {
          return;
        }
        queue.awaitWork(IDLE_PARK);
        continue;
      }
      if (batch.size() < batchSize && lingerNanos > 0 && !stopping) {
        long deadline = System.nanoTime() + lingerNanos;
        while (batch.size() < batchSize && System.nanoTime() < deadline) {
          if (queue.drain(batch::add, batchSize - batch.size()) == 0) {
            Thread.onSpinWait();
            queue.awaitWork(Math.min(lingerNanos, deadline - System.nanoTime()));
          }
        }
      }
      try {
        writer.write(batch);
        backoff.reset();
      } catch (MySqlUnavailableException e) {
        metrics.outage();
        log.warn(
            "MySQL unavailable; {} entries left to the outbox sweeper: {}",
            batch.size(),
            e.getMessage());
        backoff.pause();
      } catch (RuntimeException e) {
        log.error(
            "Unexpected failure writing {} entries; left to the outbox sweeper", batch.size(), e);
        backoff.pause();
      }
      batch.clear();
    }
  }
}
