package io.couponflow.sink;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.sql.Database;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sink as a process uses it: a bounded queue with a drainer thread (the fast path) and a
 * periodic outbox sweeper (the safety net), both writing through one {@link BatchWriter} behind one
 * MySQL circuit breaker.
 *
 * <p>Outage and recovery: failed writes open the breaker. From that moment the drainer is held: it
 * drains nothing (the queue fills, then offers are refused and counted) and the outbox holds every
 * accepted redemption. The trial write after the open period is the sweeper's, oldest first; when
 * it succeeds and the breaker closes, the sink catches up oldest first: it lets go of what is
 * queued (all of it is in the outbox), sweeps the whole outbox regardless of age, and only then
 * lets the drainer go on with what was queued meanwhile. Each breaker transition is logged once at
 * WARN; the breaker's state is exported as {@code resilience4j.circuitbreaker.state{name="mysql"}}.
 *
 * <p>Thread-safety: {@link #offer} may be called from any thread; start and stop from one.
 */
public final class Sink implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Sink.class);
  static final String BREAKER_NAME = "mysql";

  private final SinkSettings settings;
  private final RedemptionQueue queue;
  private final SinkMetrics metrics;
  private final CircuitBreaker breaker;
  private final BatchWriter writer;
  private final OutboxSweeper sweeper;
  private final Drainer drainer;
  private final DurableWaits waits = new DurableWaits();
  private final Thread drainerThread;
  private final ScheduledExecutorService sweeps;
  private long lastFullSweep;

  public Sink(
      SinkSettings settings, Database database, CouponFunctions functions, MeterRegistry registry) {
    this(settings, database, functions, registry, Clock.systemUTC());
  }

  /**
   * @param clock the MySQL breaker's clock only (its open period is a span of this process's time);
   *     every age of an outbox entry is taken on the Redis clock instead
   */
  Sink(
      SinkSettings settings,
      Database database,
      CouponFunctions functions,
      MeterRegistry registry,
      Clock clock) {
    this.settings = settings;
    this.queue = new RedemptionQueue(settings.queueCapacity());
    this.metrics = new SinkMetrics(registry);
    CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(breakerConfig(settings, clock));
    this.breaker = breakers.circuitBreaker(BREAKER_NAME);
    TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(registry);
    this.writer =
        new BatchWriter(database, functions, metrics, breaker, settings.orphanReversalAge());
    this.sweeper = new OutboxSweeper(functions, writer, metrics, settings.batchSize());
    this.drainer = new Drainer(queue, writer, sweeper, metrics, breaker, waits, settings);
    this.drainerThread = new Thread(drainer, "couponflow-drainer");
    this.drainerThread.setDaemon(true);
    this.sweeps =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "couponflow-sweeper");
              t.setDaemon(true);
              return t;
            });
    breaker.getEventPublisher().onStateTransition(e -> onTransition(e.getStateTransition()));
    Gauge.builder("couponflow.sink.queue.depth", queue, RedemptionQueue::size)
        .description("Accepted redemptions waiting in memory for the drainer")
        .register(registry);
    FunctionCounter.builder("couponflow.sink.queue.dropped", queue, RedemptionQueue::dropped)
        .description("Offers refused by a full queue and left to the outbox sweeper")
        .register(registry);
  }

  /**
   * A writer on its own, without queue, drainer or sweeper, for tools that store outbox entries
   * once (ops: reconcile, reverse); it has a breaker of its own configured like the sink's.
   */
  public static BatchWriter standaloneWriter(
      SinkSettings settings, Database database, CouponFunctions functions, MeterRegistry registry) {
    CircuitBreaker breaker =
        CircuitBreakerRegistry.of(breakerConfig(settings, Clock.systemUTC()))
            .circuitBreaker(BREAKER_NAME);
    return new BatchWriter(
        database, functions, new SinkMetrics(registry), breaker, settings.orphanReversalAge());
  }

  private static CircuitBreakerConfig breakerConfig(SinkSettings settings, Clock clock) {
    return CircuitBreakerConfig.custom()
        .slidingWindow(
            settings.breakerWindow(),
            settings.breakerMinimumCalls(),
            CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
        .failureRateThreshold(settings.breakerFailureRate())
        .waitDurationInOpenState(settings.breakerOpenFor())
        .automaticTransitionFromOpenToHalfOpenEnabled(true)
        .permittedNumberOfCallsInHalfOpenState(1)
        .recordExceptions(MySqlUnavailableException.class)
        .writableStackTraceEnabled(false)
        .clock(clock)
        .build();
  }

  private void onTransition(CircuitBreaker.StateTransition transition) {
    switch (transition.getToState()) {
      case OPEN, FORCED_OPEN -> {
        drainer.pause();
        log.warn(
            "MySQL circuit breaker opened ({}): the sink stops writing for {}; the outbox keeps"
                + " every accepted redemption",
            transition,
            settings.breakerOpenFor());
      }
      case HALF_OPEN -> log.warn("MySQL circuit breaker half-open: trying a write");
      case CLOSED -> {
        log.warn("MySQL circuit breaker closed: MySQL is back; catching up on the outbox");
        try {
          sweeps.execute(this::catchUp);
        } catch (RejectedExecutionException stopped) {
          drainer.resume();
        }
      }
      default -> log.warn("MySQL circuit breaker {}", transition);
    }
  }

  /**
   * Starts the drainer and the sweeper. The first sweep runs at once and takes entries of any age:
   * what a crashed process left behind is written before anything else.
   */
  public void start() {
    drainerThread.start();
    lastFullSweep = System.nanoTime();
    sweeps.execute(() -> sweepQuietly(() -> sweeper.sweep(Duration.ZERO)));
    long every = settings.sweepInterval().toMillis();
    sweeps.scheduleWithFixedDelay(this::periodicSweep, every, every, TimeUnit.MILLISECONDS);
  }

  private void periodicSweep() {
    long now = System.nanoTime();
    if (now - lastFullSweep >= settings.sweepScanInterval().toNanos()) {
      lastFullSweep = now;
      sweepQuietly(() -> sweeper.sweep(settings.sweepMinAge()));
    } else {
      sweepQuietly(() -> sweeper.sweepKnown(settings.sweepMinAge()));
    }
  }

  /**
   * Called from a request's thread after Redis accepted. Never blocks.
   *
   * @return false when the queue was full (the sweeper will store the entry)
   */
  public boolean offer(OutboxEntry entry) {
    sweeper.markPending(entry.couponId());
    return queue.offer(entry);
  }

  /**
   * Waits until what was queued before this call has been written (or handed to the outbox): the
   * queue is empty and no batch is being written. A gateway calls it before it repairs a coupon
   * from MySQL, so that what it accepted before Redis lost it is in MySQL first. Called from a
   * thread that may block.
   *
   * @return false when that did not happen within {@code timeout}
   */
  public boolean awaitDrained(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (queue.size() > 0 || drainer.writing()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /**
   * Like {@link #offer}, for a caller that answers only once MySQL holds the entry
   * (COUPON_DURABILITY=mysql). Called from a request's thread; never blocks.
   *
   * @return completes when the batch that carries the entry commits; fails with {@link
   *     MySqlUnavailableException} when it cannot be written now (the queue is full, MySQL is down:
   *     the outbox keeps the entry), or when MySQL refuses it (a dead letter)
   */
  public CompletableFuture<Void> offerDurable(OutboxEntry entry) {
    CompletableFuture<Void> stored = waits.register(entry);
    if (!offer(entry)) {
      waits.fail(List.of(entry), new MySqlUnavailableException("the sink's queue is full", null));
    }
    return stored;
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

  public SinkMetrics metrics() {
    return metrics;
  }

  /** The MySQL circuit breaker every sink write goes through. */
  public CircuitBreaker breaker() {
    return breaker;
  }

  Thread drainerThread() {
    return drainerThread;
  }

  /** Runs on the sweeper thread after the breaker closed. */
  private void catchUp() {
    drainer.pause();
    try {
      List<OutboxEntry> let = new ArrayList<>();
      int released = queue.drain(let::add, Integer.MAX_VALUE);
      waits.fail(let, new MySqlUnavailableException("left to the outbox after an outage", null));
      metrics.leftToOutbox(released);
      OutboxSweeper.Report report = sweeper.sweep(Duration.ZERO);
      log.info(
          "Caught up after the MySQL outage: {} entries stored oldest first across {} coupons",
          report.stored(),
          report.coupons());
    } catch (MySqlUnavailableException e) {
      log.warn("Catch-up stopped, MySQL unavailable again: {}", e.getMessage());
    } catch (RuntimeException e) {
      log.warn("Catch-up failed; the periodic sweep goes on: {}", e.toString());
    } finally {
      drainer.resume();
    }
  }

  private void sweepQuietly(Runnable sweep) {
    try {
      sweep.run();
      metrics.sweep(true);
    } catch (MySqlUnavailableException e) {
      metrics.sweep(false);
      if (e.isBreakerOpen() || breaker.getState() != CircuitBreaker.State.CLOSED) {
        log.debug(
            "Outbox sweep stopped while the MySQL circuit breaker is not closed: {}",
            e.getMessage());
      } else {
        log.warn("Outbox sweep stopped, MySQL unavailable: {}", e.getMessage());
      }
    } catch (RuntimeException e) {
      metrics.sweep(false);
      log.warn("Outbox sweep failed: {}", e.toString());
    }
  }

  /**
   * Stops the sweeper, writes what is queued, and stops the drainer; waits at most {@code timeout}.
   * Whatever is not written by then is still in the outbox.
   */
  public void stop(Duration timeout) {
    sweeps.shutdownNow();
    drainer.resume();
    drainer.stop();
    try {
      drainerThread.join(timeout.toMillis());
      sweeps.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (queue.size() > 0) {
      List<OutboxEntry> left = new ArrayList<>();
      queue.drain(left::add, Integer.MAX_VALUE);
      waits.fail(left, new MySqlUnavailableException("the gateway is stopping", null));
      log.warn("{} queued redemptions not written at stop; the outbox keeps them", left.size());
    }
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(10));
  }
}
