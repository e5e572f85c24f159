package io.couponflow.sink;

import io.couponflow.lua.OutboxEntry;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
 * drainer backs off so it does not hammer a MySQL that is down. While the MySQL circuit breaker is
 * not closed (open, or half-open: the sweeper makes the trial writes, oldest first), and while the
 * sink catches up on the outbox after an outage ({@link #pause}), it drains nothing: the queue
 * fills, further offers are refused, and the outbox holds the rest.
 *
 * <p>Thread-safety: {@link #run} on one thread; {@link #stop}, {@link #pause} and {@link #resume}
 * from any.
 */
final class Drainer implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(Drainer.class);
  static final long IDLE_PARK = TimeUnit.MILLISECONDS.toNanos(100);
  private static final long HOLD_PARK = TimeUnit.MILLISECONDS.toNanos(50);

  private final RedemptionQueue queue;
  private final BatchWriter writer;
  private final OutboxSweeper sweeper;
  private final SinkMetrics metrics;
  private final CircuitBreaker breaker;
  private final DurableWaits waits;
  private final int batchSize;
  private final long lingerNanos;
  private final Backoff backoff = new Backoff(Duration.ofMillis(50), Duration.ofSeconds(5));
  private volatile boolean stopping;
  private volatile boolean paused;
  private volatile boolean writing;

  Drainer(
      RedemptionQueue queue,
      BatchWriter writer,
      OutboxSweeper sweeper,
      SinkMetrics metrics,
      CircuitBreaker breaker,
      DurableWaits waits,
      SinkSettings settings) {
    this.queue = queue;
    this.waits = waits;
    this.writer = writer;
    this.sweeper = sweeper;
    this.metrics = metrics;
    this.breaker = breaker;
    this.batchSize = settings.batchSize();
    this.lingerNanos = settings.linger().toNanos();
  }

  /** Asks the loop to end once the queue is empty (at once while MySQL is unavailable). */
  void stop() {
    stopping = true;
    queue.wakeConsumer();
  }

  /** Holds the loop (it drains nothing) until {@link #resume}. */
  void pause() {
    paused = true;
  }

  void resume() {
    paused = false;
    queue.wakeConsumer();
  }

  private boolean holding() {
    CircuitBreaker.State state = breaker.getState();
    return paused || state != CircuitBreaker.State.CLOSED;
  }

  @Override
  public void run() {
    List<OutboxEntry> batch = new ArrayList<>(batchSize);
    while (true) {
      if (holding()) {
        if (stopping) {
          return;
        }
        LockSupport.parkNanos(this, HOLD_PARK);
        continue;
      }
      writing = true;
      int n = queue.drain(batch::add, batchSize);
      if (n == 0) {
        writing = false;
        if (stopping) {
          return;
        }
        queue.awaitWork(IDLE_PARK);
        continue;
      }
      try {
        if (batch.size() < batchSize && lingerNanos > 0 && !stopping) {
          long deadline = System.nanoTime() + lingerNanos;
          while (batch.size() < batchSize && System.nanoTime() < deadline) {
            if (queue.drain(batch::add, batchSize - batch.size()) == 0) {
              queue.awaitWork(Math.min(lingerNanos, deadline - System.nanoTime()));
            }
          }
        }
        write(batch);
      } finally {
        writing = false;
      }
      batch.clear();
    }
  }

  /**
   * Whether entries taken off the queue are being written now (set before they are taken, so an
   * empty queue and false together mean nothing queued earlier is still on its way). Called from
   * any thread.
   */
  boolean writing() {
    return writing;
  }

  private void write(List<OutboxEntry> batch) {
    try {
      BatchWriter.Written written = writer.writeAll(batch);
      waits.settle(batch, written.deadLettered());
      BatchWriter.Report report = written.report();
      if (report.deferred() > 0) {
        leftToOutbox(batch, false);
      }
      backoff.reset();
    } catch (MySqlUnavailableException e) {
      waits.fail(batch, e);
      leftToOutbox(batch, true);
      if (e.isBreakerOpen()) {
        return;
      }
      metrics.outage();
      if (breaker.getState() == CircuitBreaker.State.CLOSED) {
        log.warn(
            "MySQL unavailable; {} entries left to the outbox sweeper: {}",
            batch.size(),
            e.getMessage());
      } else {
        log.debug("MySQL still unavailable; {} entries left to the outbox", batch.size());
      }
      backoff.pause();
    } catch (RuntimeException e) {
      waits.fail(batch, e);
      leftToOutbox(batch, true);
      log.error(
          "Unexpected failure writing {} entries; left to the outbox sweeper", batch.size(), e);
      backoff.pause();
    }
  }

  /** Tells the sweeper which coupons now have entries that only the outbox holds. */
  private void leftToOutbox(List<OutboxEntry> batch, boolean count) {
    long last = -1;
    for (OutboxEntry e : batch) {
      if (e.couponId() != last) {
        sweeper.markPending(e.couponId());
        last = e.couponId();
      }
    }
    if (count) {
      metrics.leftToOutbox(batch.size());
    }
  }
}
