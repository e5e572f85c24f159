package io.couponflow.sink;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.Database;
import io.couponflow.sql.DeadLetterMapper;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ibatis.session.SqlSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores outbox entries in MySQL, then deletes them from the Redis outbox.
 *
 * <p>Writing: accepts become one multi-row upsert keyed on (coupon, idempotency key), reversals
 * update their rows, all in one transaction. A reversal whose accept is not stored yet stays in the
 * outbox for a later pass. Storing the same entry twice changes nothing, so the drainer, the
 * sweeper and other gateways may race on an entry safely.
 *
 * <p>Poison rows: when MySQL refuses a batch for its data, the batch is split in halves until the
 * refused entries stand alone; each goes to the dead-letter table with its error and only then
 * leaves the outbox. An outage is not a poison row: it fails the whole call with {@link
 * MySqlUnavailableException} and the outbox keeps everything.
 *
 * <p>Thread-safety: safe for use by many threads; each call uses its own session.
 */
public final class BatchWriter {
  private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);

  private final Database database;
  private final CouponFunctions functions;
  private final SinkMetrics metrics;

  public BatchWriter(Database database, CouponFunctions functions, SinkMetrics metrics) {
    this.database = database;
    this.functions = functions;
    this.metrics = metrics;
  }

  /** What one {@link #write} did. */
  public record Report(int stored, int deadLettered, int deferred) {}

  /**
   * Stores the entries and acknowledges them in the outbox.
   *
   * @throws MySqlUnavailableException when MySQL cannot be written now
   */
  public Report write(List<OutboxEntry> entries) {
    if (entries.isEmpty()) {
      return new Report(0, 0, 0);
    }
    long start = System.nanoTime();
    List<Parsed> parsed = new ArrayList<>(entries.size());
    List<OutboxEntry> done = new ArrayList<>(entries.size());
    int deadLettered = 0;
    for (OutboxEntry entry : dedupe(entries)) {
      try {
        parsed.add(Parsed.of(entry));
      } catch (RuntimeException malformed) {
        deadLetter(entry, "malformed outbox entry: " + malformed.getMessage());
        done.add(entry);
        deadLettered++;
      }
    }
    Outcome outcome = store(parsed);
    done.addAll(outcome.stored);
    done.addAll(outcome.deadLettered);
    deadLettered += outcome.deadLettered.size();
    acknowledge(done);
    metrics.recordFlush(outcome.stored.size(), System.nanoTime() - start);
    metrics.deadLettered(deadLettered);
    return new Report(outcome.stored.size(), deadLettered, outcome.deferred);
  }

  private record Outcome(List<OutboxEntry> stored, List<OutboxEntry> deadLettered, int deferred) {}

  private Outcome store(List<Parsed> batch) {
    if (batch.isEmpty()) {
      return new Outcome(List.of(), List.of(), 0);
    }
    try {
      return storeInOneTransaction(batch);
    } catch (RuntimeException failure) {
      if (SqlFailures.isOutage(failure)) {
        throw new MySqlUnavailableException(
            "MySQL refused the batch: " + SqlFailures.describe(failure), failure);
      }
      if (batch.size() == 1) {
        deadLetter(batch.get(0).entry(), SqlFailures.describe(failure));
        return new Outcome(List.of(), List.of(batch.get(0).entry()), 0);
      }
      int half = batch.size() / 2;
      Outcome left = store(batch.subList(0, half));
      Outcome right = store(batch.subList(half, batch.size()));
      List<OutboxEntry> stored = new ArrayList<>(left.stored);
      stored.addAll(right.stored);
      List<OutboxEntry> dead = new ArrayList<>(left.deadLettered);
      dead.addAll(right.deadLettered);
      return new Outcome(stored, dead, left.deferred + right.deferred);
    }
  }

  private Outcome storeInOneTransaction(List<Parsed> batch) {
    List<RedemptionRow> rows = new ArrayList<>();
    List<OutboxEntry> stored = new ArrayList<>(batch.size());
    int deferred = 0;
    try (SqlSession session = database.sessions().openSession(false)) {
      RedemptionMapper mapper = session.getMapper(RedemptionMapper.class);
      for (Parsed p : batch) {
        if (p.row() != null) {
          rows.add(p.row());
        }
      }
      if (!rows.isEmpty()) {
        mapper.upsertAll(rows);
      }
      for (Parsed p : batch) {
        if (p.row() != null) {
          stored.add(p.entry());
        } else if (mapper.markReversed(p.reversedId(), p.reversedAt(), p.reason()) == 1) {
          stored.add(p.entry());
        } else {
          deferred++;
        }
      }
      session.commit();
    }
    return new Outcome(stored, List.of(), deferred);
  }

  private void deadLetter(OutboxEntry entry, String error) {
    log.error(
        "Dead letter: outbox entry {} of coupon {} ({}): {}",
        entry.id(),
        entry.couponId(),
        entry.fields(),
        error);
    try (SqlSession session = database.sessions().openSession(true)) {
      session
          .getMapper(DeadLetterMapper.class)
          .insert(entry.couponId(), entry.id(), new TreeMap<>(entry.fields()).toString(), error);
    } catch (RuntimeException failure) {
      throw new MySqlUnavailableException(
          "cannot store dead letter: " + SqlFailures.describe(failure), failure);
    }
  }

  /** Deletes stored entries from their outboxes, pipelined, one call per coupon. */
  private void acknowledge(List<OutboxEntry> entries) {
    Map<Long, List<String>> byCoupon = new LinkedHashMap<>();
    for (OutboxEntry e : entries) {
      byCoupon.computeIfAbsent(e.couponId(), k -> new ArrayList<>()).add(e.id());
    }
    List<CompletableFuture<Long>> acks = new ArrayList<>();
    byCoupon.forEach((coupon, ids) -> acks.add(functions.outboxAck(coupon, ids)));
    try {
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
          .get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      // Stored but still in the outbox: a later pass stores them again, which changes nothing.
      log.warn(
          "Could not delete {} stored entries from the outbox yet: {}",
          entries.size(),
          e.toString());
    }
  }

  /** Keeps the first of several entries with the same outbox id (drainer and sweeper overlap). */
  private static List<OutboxEntry> dedupe(List<OutboxEntry> entries) {
    Map<String, OutboxEntry> unique = new LinkedHashMap<>();
    for (OutboxEntry e : entries) {
      unique.putIfAbsent(e.couponId() + "/" + e.id(), e);
    }
    return unique.size() == entries.size() ? entries : new ArrayList<>(unique.values());
  }

  /** An entry turned into what MySQL needs: a row for an accept, an update for a reversal. */
  private record Parsed(
      OutboxEntry entry, RedemptionRow row, String reversedId, Instant reversedAt, String reason) {

    static Parsed of(OutboxEntry e) {
      String rid = required(e, "r");
      RedemptionId id =
          RedemptionId.parse(rid)
              .orElseThrow(() -> new IllegalArgumentException("bad redemption id " + rid));
      if (id.couponId() != e.couponId()) {
        throw new IllegalArgumentException(
            "redemption " + rid + " is not of coupon " + e.couponId());
      }
      if (e.isAccept()) {
        return new Parsed(
            e,
            new RedemptionRow(
                rid,
                e.couponId(),
                required(e, "k"),
                required(e, "u"),
                id.orderId(),
                Long.parseLong(required(e, "a")),
                Long.parseLong(required(e, "d")),
                RedemptionStatus.ACCEPTED,
                Instant.ofEpochMilli(Long.parseLong(required(e, "at"))),
                null,
                null,
                e.id()),
            null,
            null,
            null);
      }
      if (e.isReversal()) {
        String reason = e.field("why").filter(s -> !s.isEmpty()).orElse(null);
        return new Parsed(
            e, null, rid, Instant.ofEpochMilli(Long.parseLong(required(e, "rt"))), reason);
      }
      throw new IllegalArgumentException("unknown entry type '" + e.type() + "'");
    }

    private static String required(OutboxEntry e, String field) {
      return e.field(field)
          .orElseThrow(() -> new IllegalArgumentException("missing field " + field));
    }
  }
}
