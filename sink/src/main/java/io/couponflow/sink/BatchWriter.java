package io.couponflow.sink;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.sql.Database;
import io.couponflow.sql.DeadLetterMapper;
import io.couponflow.sql.MySqlFailures;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.ibatis.executor.BatchResult;
import org.apache.ibatis.session.ExecutorType;
import org.apache.ibatis.session.SqlSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores outbox entries in MySQL, then deletes them from the Redis outbox.
 *
 * <p>Writing: one transaction per call, through a MyBatis {@link ExecutorType#BATCH} session: the
 * accepts are upserted keyed on (coupon, idempotency key) as one JDBC batch, which the driver
 * rewrites into multi-row statements (measured faster than one {@code <foreach>} statement, see
 * {@code couponflow-bench sink}); then the reversals update their rows. Accepts are written in key
 * order so that two writers racing on overlapping entries rarely deadlock, and a lost deadlock is
 * run again. Storing the same entry twice changes nothing, so the drainer, the sweeper and other
 * gateways may race on an entry safely.
 *
 * <p>Reversals: a reversal whose accept is not stored yet stays in the outbox for a later pass.
 * Once it has waited longer than the orphan-reversal age (its accept was a dead letter, or was lost
 * with a Redis that crashed without AOF), it goes to the dead-letter table instead of waiting
 * forever. Its age is measured on one clock, Redis's: its entry id is the time of the Redis node
 * that holds the coupon, and so is {@link CouponFunctions#time}; this process's clock, which may
 * run ahead or behind, never enters it. When Redis cannot tell the time, the reversal waits.
 *
 * <p>Poison rows: when MySQL refuses a batch for its data, the batch is split in halves until the
 * refused entries stand alone; each goes to the dead-letter table with its error and only then
 * leaves the outbox. An outage is not a poison row: it fails the whole call with {@link
 * MySqlUnavailableException} and the outbox keeps everything.
 *
 * <p>Outages: every call goes through the MySQL circuit breaker, which counts outages (not poison
 * rows); while it is open, calls fail at once without touching MySQL.
 *
 * <p>Thread-safety: safe for use by many threads; each call uses its own session.
 */
public final class BatchWriter {
  private static final Logger log = LoggerFactory.getLogger(BatchWriter.class);
  private static final Duration ACK_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration TIME_TIMEOUT = Duration.ofSeconds(5);
  private static final int DEADLOCK_ATTEMPTS = 3;
  private static final Comparator<RedemptionRow> KEY_ORDER =
      Comparator.comparingLong(RedemptionRow::couponId)
          .thenComparing(RedemptionRow::idempotencyKey);

  private final Database database;
  private final CouponFunctions functions;
  private final SinkMetrics metrics;
  private final CircuitBreaker breaker;
  private final Duration orphanReversalAge;

  /**
   * @param breaker the MySQL circuit breaker; it must record {@link MySqlUnavailableException}
   * @param orphanReversalAge how long a reversal waits for its accept before it is a dead letter,
   *     on the Redis clock
   */
  public BatchWriter(
      Database database,
      CouponFunctions functions,
      SinkMetrics metrics,
      CircuitBreaker breaker,
      Duration orphanReversalAge) {
    this.database = database;
    this.functions = functions;
    this.metrics = metrics;
    this.breaker = breaker;
    this.orphanReversalAge = orphanReversalAge;
  }

  /** What one {@link #write} did. */
  public record Report(int stored, int deadLettered, int deferred) {}

  /**
   * What one {@link #writeAll} did, and which entries went to the dead-letter table (by {@link
   * #keyOf}).
   */
  public record Written(Report report, Set<String> deadLettered) {}

  /** An entry's identity in a batch: its coupon, its outbox id and its redemption. */
  static String keyOf(OutboxEntry entry) {
    return entry.couponId() + "/" + entry.id() + "/" + entry.field("r").orElse("");
  }

  /**
   * Stores the entries and acknowledges them in the outbox.
   *
   * @throws MySqlUnavailableException when MySQL cannot be written now (or the breaker is open)
   */
  public Report write(List<OutboxEntry> entries) {
    return writeAll(entries).report();
  }

  /** Like {@link #write}, and tells which entries were dead-lettered. */
  public Written writeAll(List<OutboxEntry> entries) {
    if (entries.isEmpty()) {
      return new Written(new Report(0, 0, 0), Set.of());
    }
    try {
      return breaker.executeSupplier(() -> writeNow(entries));
    } catch (CallNotPermittedException e) {
      throw MySqlUnavailableException.breakerOpen(e);
    }
  }

  private Written writeNow(List<OutboxEntry> entries) {
    long start = System.nanoTime();
    List<Parsed> parsed = new ArrayList<>(entries.size());
    List<OutboxEntry> done = new ArrayList<>(entries.size());
    Set<String> refused = new HashSet<>();
    int deadLettered = 0;
    for (OutboxEntry entry : dedupe(entries)) {
      try {
        parsed.add(Parsed.of(entry));
      } catch (RuntimeException malformed) {
        deadLetter(entry, "malformed outbox entry: " + malformed.getMessage());
        done.add(entry);
        refused.add(keyOf(entry));
        deadLettered++;
      }
    }
    Outcome outcome = store(parsed);
    done.addAll(outcome.stored);
    done.addAll(outcome.deadLettered);
    outcome.deadLettered.forEach(e -> refused.add(keyOf(e)));
    deadLettered += outcome.deadLettered.size();
    int deferred = 0;
    Map<Long, Long> redisNow = redisTimes(outcome.deferred);
    for (OutboxEntry reversal : outcome.deferred) {
      Long now = redisNow.get(reversal.couponId());
      long waited = now == null ? 0 : now - reversal.appendedAtMillis();
      if (waited >= orphanReversalAge.toMillis()) {
        deadLetter(
            reversal,
            "reversal of "
                + reversal.field("r").orElse("?")
                + " waited "
                + Duration.ofMillis(waited).toSeconds()
                + "s for its accept, which is not in MySQL (a dead letter itself, or lost by Redis)");
        done.add(reversal);
        refused.add(keyOf(reversal));
        deadLettered++;
      } else {
        deferred++;
      }
    }
    acknowledge(done);
    metrics.recordFlush(outcome.stored.size(), System.nanoTime() - start);
    metrics.deadLettered(deadLettered);
    return new Written(new Report(outcome.stored.size(), deadLettered, deferred), refused);
  }

  /**
   * The Redis clock of each coupon's node, in ms, asked once per coupon (pipelined); a coupon whose
   * node did not answer in time is left out, and its reversals wait for a later pass.
   */
  private Map<Long, Long> redisTimes(List<OutboxEntry> reversals) {
    Map<Long, CompletableFuture<Instant>> asked = new LinkedHashMap<>();
    for (OutboxEntry r : reversals) {
      asked.computeIfAbsent(r.couponId(), functions::time);
    }
    Map<Long, Long> times = new HashMap<>();
    long deadline = System.nanoTime() + TIME_TIMEOUT.toNanos();
    for (Map.Entry<Long, CompletableFuture<Instant>> e : asked.entrySet()) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        times.put(e.getKey(), e.getValue().get(left, TimeUnit.NANOSECONDS).toEpochMilli());
      } catch (InterruptedException interrupted) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception failed) {
        log.debug(
            "No Redis time for coupon {}; its reversals wait: {}", e.getKey(), failed.toString());
      }
    }
    return times;
  }

  private record Outcome(
      List<OutboxEntry> stored, List<OutboxEntry> deadLettered, List<OutboxEntry> deferred) {
    static final Outcome EMPTY = new Outcome(List.of(), List.of(), List.of());

    Outcome plus(Outcome other) {
      return new Outcome(
          concat(stored, other.stored),
          concat(deadLettered, other.deadLettered),
          concat(deferred, other.deferred));
    }

    private static List<OutboxEntry> concat(List<OutboxEntry> a, List<OutboxEntry> b) {
      List<OutboxEntry> all = new ArrayList<>(a.size() + b.size());
      all.addAll(a);
      all.addAll(b);
      return all;
    }
  }

  private Outcome store(List<Parsed> batch) {
    if (batch.isEmpty()) {
      return Outcome.EMPTY;
    }
    try {
      return storeInOneTransaction(batch);
    } catch (RuntimeException failure) {
      if (MySqlFailures.isOutage(failure)) {
        throw new MySqlUnavailableException(
            "MySQL refused the batch: " + MySqlFailures.describe(failure), failure);
      }
      if (batch.size() == 1) {
        deadLetter(batch.get(0).entry(), explain(batch.get(0), failure));
        return new Outcome(List.of(), List.of(batch.get(0).entry()), List.of());
      }
      int half = batch.size() / 2;
      return store(batch.subList(0, half)).plus(store(batch.subList(half, batch.size())));
    }
  }

  private Outcome storeInOneTransaction(List<Parsed> batch) {
    for (int attempt = 1; ; attempt++) {
      try {
        return storeOnce(batch);
      } catch (RuntimeException failure) {
        if (attempt >= DEADLOCK_ATTEMPTS || !MySqlFailures.isDeadlock(failure)) {
          throw failure;
        }
        log.debug("Batch of {} lost a deadlock; running it again", batch.size());
      }
    }
  }

  private Outcome storeOnce(List<Parsed> batch) {
    List<Parsed> accepts = new ArrayList<>(batch.size());
    List<Parsed> reversals = new ArrayList<>();
    for (Parsed p : batch) {
      (p.row() != null ? accepts : reversals).add(p);
    }
    accepts.sort(Comparator.comparing(Parsed::row, KEY_ORDER));
    List<OutboxEntry> stored = new ArrayList<>(batch.size());
    List<OutboxEntry> deferred = new ArrayList<>();
    try (SqlSession session = database.sessions().openSession(ExecutorType.BATCH, false)) {
      RedemptionMapper mapper = session.getMapper(RedemptionMapper.class);
      for (Parsed p : accepts) {
        mapper.upsert(p.row());
        stored.add(p.entry());
      }
      session.flushStatements();
      if (!reversals.isEmpty()) {
        for (Parsed p : reversals) {
          mapper.markReversed(p.reversedId(), p.reversedAt(), p.reason());
        }
        int[] counts = updateCounts(session.flushStatements());
        for (int i = 0; i < reversals.size(); i++) {
          Parsed p = reversals.get(i);
          boolean found =
              counts[i] == Statement.SUCCESS_NO_INFO
                  ? mapper
                      .findByRedemptionId(p.reversedId())
                      .filter(r -> r.status() == RedemptionStatus.REVERSED)
                      .isPresent()
                  : counts[i] > 0;
          (found ? stored : deferred).add(p.entry());
        }
      }
      session.commit();
    }
    return new Outcome(stored, List.of(), deferred);
  }

  private static int[] updateCounts(List<BatchResult> results) {
    int total = 0;
    for (BatchResult r : results) {
      total += r.getUpdateCounts().length;
    }
    int[] counts = new int[total];
    int i = 0;
    for (BatchResult r : results) {
      for (int c : r.getUpdateCounts()) {
        counts[i++] = c;
      }
    }
    return counts;
  }

  /**
   * Why MySQL refused one entry: for an accept that conflicts with a stored row (its redemption id
   * under another key, or its key under another redemption id), the conflict, counted; else MySQL's
   * error.
   */
  private String explain(Parsed refused, Throwable failure) {
    RedemptionRow row = refused.row();
    if (row != null) {
      try (SqlSession session = database.sessions().openSession(true)) {
        RedemptionMapper mapper = session.getMapper(RedemptionMapper.class);
        var sameId =
            mapper
                .findByRedemptionId(row.redemptionId())
                .filter(stored -> !stored.idempotencyKey().equals(row.idempotencyKey()));
        var sameKey =
            mapper
                .findByKey(row.couponId(), row.idempotencyKey())
                .filter(stored -> !stored.redemptionId().equals(row.redemptionId()));
        if (sameId.isPresent() || sameKey.isPresent()) {
          metrics.conflict();
          RedemptionRow stored = sameId.orElseGet(sameKey::get);
          return "conflict: MySQL already holds "
              + stored.redemptionId()
              + " under key "
              + stored.idempotencyKey()
              + " (user "
              + stored.userId()
              + ", accepted at "
              + stored.acceptedAt()
              + "); this entry is "
              + row.redemptionId()
              + " under key "
              + row.idempotencyKey()
              + " (user "
              + row.userId()
              + ", accepted at "
              + row.acceptedAt()
              + "). Redis decided a redemption MySQL already had: it must have lost state"
              + " without being fenced (see docs/redis-contract.md)";
        }
      } catch (RuntimeException lookupFailed) {
        log.debug("Could not explain a refused row: {}", lookupFailed.toString());
      }
    }
    return MySqlFailures.describe(failure);
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
          "cannot store dead letter: " + MySqlFailures.describe(failure), failure);
    }
  }

  /** Deletes stored entries from their outboxes, pipelined, one call per coupon. */
  private void acknowledge(List<OutboxEntry> entries) {
    if (entries.isEmpty()) {
      return;
    }
    Map<Long, List<String>> byCoupon = new LinkedHashMap<>();
    for (OutboxEntry e : entries) {
      byCoupon.computeIfAbsent(e.couponId(), k -> new ArrayList<>()).add(e.id());
    }
    List<CompletableFuture<Long>> acks = new ArrayList<>();
    byCoupon.forEach((coupon, ids) -> acks.add(functions.outboxAck(coupon, ids)));
    try {
      CompletableFuture.allOf(acks.toArray(CompletableFuture[]::new))
          .get(ACK_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.info(
          "Stopped before deleting {} stored entries from the outbox; the next sweep finds them"
              + " stored already",
          entries.size());
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
