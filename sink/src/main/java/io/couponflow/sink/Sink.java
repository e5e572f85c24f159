package io.couponflow.sink;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.sql.Database;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink as a process uses it: a bounded queue with a drainer thread (the fast path) and a
 * periodic outbox sweeper (the safety net), both writing through one {@link BatchWriter}.
 *
 * <p>Thread-safety: {@link #offer} may be called from any thread; start and stop from one.
 */
public final class Sink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Sink.class);

  private final SinkSettings settings;
  private final RedemptionQueue queue;
  private final BatchWriter writer;
  private final OutboxSweeper sweeper;
  private final Drainer drainer;
  private final Thread drainerThread;
  private final ScheduledExecutorService sweeps;

  public Sink(
      SinkSettings settings, Database database, CouponFunctions functions, MeterRegistry registry) {
    this.settings = settings;
    this.queue = new RedemptionQueue(settings.queueCapacity());
    SinkMetrics metrics = new SinkMetrics(registry);
    this.writer = new BatchWriter(database, functions, metrics);
    this.sweeper = new OutboxSweeper(functions, writer, settings);
    this.drainer = new Drainer(queue, writer, metrics, settings);
    this.drainerThread = new Thread(drainer, "couponflow-drainer");
    this.drainerThread.setDaemon(true);
    this.sweeps =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "couponflow-sweeper");
              t.setDaemon(true);
              return t;
            });
    Gauge.builder("couponflow.sink.queue.depth", queue, RedemptionQueue::size)
        .description("Accepted redemptions waiting in memory for the drainer")
        .register(registry);
    Gauge.builder("couponflow.sink.queue.dropped", queue, RedemptionQueue::dropped)
        .description("Offers refused by a full queue and left to the outbox sweeper")
        .register(registry);
  }

  /**
   * Starts the drainer and the sweeper. The first sweep runs at once and takes entries of any age:
   * what a crashed process left behind is written before anything else.
   */
  public void start() {
    drainerThread.start();
    sweeps.execute(() -> sweepQuietly(Duration.ZERO));
    long every = settings.sweepInterval().toMillis();
    sweeps.scheduleWithFixedDelay(
        () -> sweepQuietly(settings.sweepMinAge()), every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Called from a request's thread after Redis accepted. Never blocks.
   *
   * @return false when the queue was full (the sweeper will store the entry)
   */
  public boolean offer(OutboxEntry entry) {
    return queue.offer(entry);
  }

  public RedemptionQueue queue() {
    return queue;
  }

  public OutboxSweeper sweeper() {
    return sweeper;
  }

  public BatchWriter writer() {
    return writer;
  }

  private void sweepQuietly(Duration minAge) {
    try {
      sweeper.sweep(minAge);
    } catch (MySqlUnavailableException e) {
      log.warn("Outbox sweep stopped, MySQL unavailable: {}", e.getMessage());
    } catch (RuntimeException e) {
      log.warn("Outbox sweep failed: {}", e.toString());
    }
  }

  /**
   * Stops the sweeper, writes what is queued, and stops the drainer; waits at most {@code timeout}.
   * Whatever is not written by then is still in the outbox.
   */
  public void stop(Duration timeout) {
    sweeps.shutdownNow();
    drainer.stop();
    try {
      drainerThread.join(timeout.toMillis());
      sweeps.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (queue.size() > 0) {
      log.warn("{} queued redemptions not written at stop; the outbox keeps them", queue.size());
    }
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }
}
