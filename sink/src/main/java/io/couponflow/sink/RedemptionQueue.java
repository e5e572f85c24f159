package io.couponflow.sink;

import io.couponflow.lua.OutboxEntry;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.jctools.queues.MpmcArrayQueue;

/**
 * The bounded fast path between request threads and the drainer: a JCTools {@link MpmcArrayQueue}.
 * Backpressure is a value: {@link #offer} returns false when full and never blocks; the entry is
 * safe in the Redis outbox and the sweeper takes it from there.
 *
 * <p>Concurrency: any number of producers; consumers are the drainer threads. A consumer with
 * nothing to do parks in {@link #awaitWork}; a producer unparks it only when it is parked, so the
 * busy path costs one volatile read per offer.
 */
public final class RedemptionQueue {
  private final MpmcArrayQueue<OutboxEntry> queue;
  private final LongAdder dropped = new LongAdder();
  private final AtomicBoolean consumerParked = new AtomicBoolean();
  private volatile Thread consumer;

  public RedemptionQueue(int capacity) {
    if (capacity < 2) {
      throw new IllegalArgumentException("capacity: " + capacity + " (expected: >= 2)");
    }
    this.queue = new MpmcArrayQueue<>(capacity);
  }

  /**
   * Called from a producer thread (a request's completion). Never blocks.
   *
   * @return false when the queue is full; the entry is then counted as left to the outbox
   */
  public boolean offer(OutboxEntry entry) {
    if (!queue.offer(entry)) {
      dropped.increment();
      return false;
    }
    if (consumerParked.get() && consumerParked.compareAndSet(true, false)) {
      Thread c = consumer;
      if (c != null) {
        LockSupport.unpark(c);
      }
    }
    return true;
  }

  /**
   * Called from a consumer thread. Moves up to {@code limit} entries to {@code sink}, which must
   * not throw.
   */
  public int drain(Consumer<OutboxEntry> sink, int limit) {
    return queue.drain(sink::accept, limit);
  }

  /**
   * Called from a consumer thread: parks until a producer offers something or {@code maxNanos}
   * passes. Returns at once when entries are waiting.
   */
  public void awaitWork(long maxNanos) {
    consumer = Thread.currentThread();
    consumerParked.set(true);
    if (!queue.isEmpty()) {
      consumerParked.set(false);
      return;
    }
    LockSupport.parkNanos(this, maxNanos);
    consumerParked.set(false);
  }

  /** Wakes a parked consumer (for shutdown). */
  public void wakeConsumer() {
    Thread c = consumer;
    if (c != null) {
      LockSupport.unpark(c);
    }
  }

  public int size() {
    return queue.size();
  }

  public int capacity() {
    return queue.capacity();
  }

  /** Offers refused because the queue was full, since start. */
  public long dropped() {
    return dropped.sum();
  }
}
