package io.couponflow.sink;

import io.couponflow.lua.OutboxEntry;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The callers waiting until MySQL holds an entry they queued (COUPON_DURABILITY=mysql): each
 * offered entry's future completes when the batch that carries it commits, and fails when the batch
 * cannot be written, when MySQL refuses the entry (a dead letter), or when the entry leaves the
 * queue unwritten (the outbox keeps it; the caller's retry waits again).
 *
 * <p>Thread-safety: {@link #register} from request threads; {@link #settle} and {@link #fail} from
 * the drainer and the sweeper thread.
 */
final class DurableWaits {
  private final ConcurrentHashMap<String, CompletableFuture<Void>> waiting =
      new ConcurrentHashMap<>();

  /** Called from a request thread before the entry is offered. */
  CompletableFuture<Void> register(OutboxEntry entry) {
    return waiting.computeIfAbsent(BatchWriter.keyOf(entry), k -> new CompletableFuture<>());
  }

  boolean isEmpty() {
    return waiting.isEmpty();
  }

  /** The batch was written: every entry that is not in {@code deadLettered} is in MySQL now. */
  void settle(Collection<OutboxEntry> batch, Set<String> deadLettered) {
    if (waiting.isEmpty()) {
      return;
    }
    for (OutboxEntry entry : batch) {
      String key = BatchWriter.keyOf(entry);
      CompletableFuture<Void> wait = waiting.remove(key);
      if (wait != null) {
        if (deadLettered.contains(key)) {
          wait.completeExceptionally(
              new IllegalStateException(
                  "MySQL refused " + entry.field("r").orElse(entry.id()) + " (a dead letter)"));
        } else {
          wait.complete(null);
        }
      }
    }
  }

  /** The entries were not written. */
  void fail(Collection<OutboxEntry> entries, Throwable cause) {
    if (waiting.isEmpty()) {
      return;
    }
    for (OutboxEntry entry : entries) {
      CompletableFuture<Void> wait = waiting.remove(BatchWriter.keyOf(entry));
      if (wait != null) {
        wait.completeExceptionally(cause);
      }
    }
  }
}
