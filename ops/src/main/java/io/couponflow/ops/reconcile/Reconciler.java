package io.couponflow.ops.reconcile;

import io.couponflow.core.live.CouponRepair;
import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.ReconcileOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.ops.Human;
import io.couponflow.ops.OpsContext;
import io.couponflow.ops.OpsException;
import io.couponflow.ops.reconcile.RedisRecords.RedisRecord;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.Database;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.apache.ibatis.session.SqlSession;

/**
 * Compares one coupon in Redis with its rows in MySQL, and repairs what differs.
 *
 * <p>The invariant: Redis's accepted counter equals MySQL's ACCEPTED rows plus the accepts pending
 * in the outbox minus the reversals pending there; its reversed counter equals the REVERSED rows
 * plus the pending reversals; its stock equals total minus accepted.
 *
 * <p>Reading: the counters and the outbox come from one atomic {@code cf_inspect}; MySQL is counted
 * before and after it, and a read during which the sink moved rows is taken again. A stored entry
 * may stay in the outbox for the moment between the sink's commit and its acknowledgement, which
 * looks like drift, so a drift counts only when two reads in a row show the same one.
 *
 * <p>Causes: a counter drift sends reconcile through the coupon's records in Redis (read in the
 * order rows, records, outbox, rows, so that no race with the sink shows as a missing row), to name
 * the redemptions that MySQL or Redis lacks.
 *
 * <p>Repair ({@link #repair}): a coupon Redis lost is rebuilt by {@link CouponRepair}: every row is
 * restored ({@code cf_restore}) before the coupon's meta makes it live ({@code cf_load}); a
 * definition behind is loaded; the outbox is replayed through the sink's {@link BatchWriter}; rows
 * missing in MySQL are written from Redis's records; and the counters are corrected last with
 * {@code cf_reconcile_apply}. That call writes only if the counters are still what was just read;
 * live traffic moves counters and the truth alike, so the correction (truth minus counters) stays
 * valid, and on MOVED it is applied again to the counters Redis answered with, a bounded number of
 * times. Live redemptions are never overwritten.
 *
 * <p>Thread-safety: safe for use by many threads, but run one reconcile per coupon at a time: two
 * repairs of the same drift would both apply their correction.
 */
public final class Reconciler {
  private static final int PAGE = 500;
  private static final int READS = 10;
  private static final int APPLY_ATTEMPTS = 100;
  private static final int SHOWN_IDS = 5;
  private static final Counters NONE = new Counters(0, 0, 0);

  private final Database database;
  private final CouponFunctions functions;
  private final BatchWriter writer;
  private final Duration grace;

  /**
   * @param grace outbox entries younger than this are in flight, not drift
   */
  public Reconciler(
      Database database, CouponFunctions functions, BatchWriter writer, Duration grace) {
    this.database = Objects.requireNonNull(database, "database");
    this.functions = Objects.requireNonNull(functions, "functions");
    this.writer = Objects.requireNonNull(writer, "writer");
    if (grace.isNegative()) {
      throw new IllegalArgumentException("grace: " + grace + " (expected: >= 0)");
    }
    this.grace = grace;
  }

  /**
   * Compares without writing anything.
   *
   * @param deep walk the coupon's records even when the counters agree (finds a coupon a gateway
   *     reloaded after Redis lost it, whose counters are right but whose records are gone)
   */
  public CouponCheck check(long couponId, boolean deep) {
    return diagnose(settled(couponId), deep);
  }

  /** Checks, repairs what drifted, and checks again. */
  public Repair repair(long couponId, boolean deep) {
    CouponCheck before = check(couponId, deep);
    if (before.consistent() || before.definition().isEmpty()) {
      return new Repair(before, List.of(), before);
    }
    Coupon coupon = before.definition().get();
    List<String> actions = new ArrayList<>();
    if (before.live().isEmpty()) {
      rebuild(coupon, before.rows(), actions);
    } else if (before.has(Drift.Kind.DEFINITION_BEHIND)) {
      load(coupon, actions);
    }
    replayOutbox(couponId, before.live().map(CouponInspection::pending).orElse(0L), actions);
    boolean recordsOk = true;
    if (deep
        || before.has(Drift.Kind.ROW_MISSING_IN_MYSQL)
        || before.has(Drift.Kind.RECORD_MISSING_IN_REDIS)) {
      recordsOk = fixRecords(couponId, actions);
    }
    if (recordsOk) {
      correctCounters(couponId, actions);
    } else {
      actions.add("counters left alone: the rows above could not be written");
    }
    if (!actions.isEmpty()) {
      OpsContext.await(functions.publishChanged(couponId));
    }
    return new Repair(before, actions, check(couponId, deep));
  }

  private CouponCheck diagnose(Snapshot s, boolean deep) {
    long id = s.couponId();
    List<Drift> drifts = new ArrayList<>();
    if (s.coupon().isEmpty()) {
      s.live()
          .ifPresent(
              live ->
                  drifts.add(
                      new Drift(
                          Drift.Kind.NOT_IN_MYSQL,
                          "Redis holds coupon "
                              + id
                              + " (stock "
                              + live.coupon().stock()
                              + ", accepted "
                              + live.coupon().accepted()
                              + ") but MySQL does not define it; a person must decide")));
      return new CouponCheck(id, s.coupon(), s.live(), s.rows(), null, drifts);
    }
    if (s.live().isEmpty()) {
      long rows = s.rows().accepted() + s.rows().reversed();
      drifts.add(
          rows > 0
              ? new Drift(
                  Drift.Kind.REDIS_LOST,
                  "Redis holds nothing of it, MySQL holds "
                      + s.rows().accepted()
                      + " accepted and "
                      + s.rows().reversed()
                      + " reversed rows")
              : new Drift(
                  Drift.Kind.NOT_IN_REDIS,
                  "Redis holds nothing of it and MySQL has no rows (never loaded)"));
      return new CouponCheck(id, s.coupon(), s.live(), s.rows(), null, drifts);
    }
    Coupon def = s.coupon().get();
    CouponInspection inspection = s.live().get();
    LiveCoupon live = inspection.coupon();
    if (live.version() < def.version()) {
      drifts.add(
          new Drift(
              Drift.Kind.DEFINITION_BEHIND,
              "Redis applied version "
                  + live.version()
                  + " (total "
                  + live.totalStock()
                  + ", "
                  + live.status()
                  + "), MySQL is at version "
                  + def.version()
                  + " (total "
                  + def.totalStock()
                  + ", "
                  + def.status()
                  + ")"));
    }
    if (inspection.pending() > 0 && inspection.oldestPendingAge().compareTo(grace) >= 0) {
      drifts.add(
          new Drift(
              Drift.Kind.OUTBOX_NOT_DRAINED,
              Human.count(inspection.pending(), "entry is", "entries are")
                  + " not in MySQL yet ("
                  + Human.count(inspection.pendingAccepts(), "accept", "accepts")
                  + ", "
                  + Human.count(inspection.pendingReversals(), "reversal", "reversals")
                  + "), the oldest "
                  + Human.age(inspection.oldestPendingAge().toMillis())
                  + " old"));
    }
    Counters seen = s.seen();
    Counters expected = s.expected();
    Counters truth = expected;
    if (deep || seen.accepted() != expected.accepted() || seen.reversed() != expected.reversed()) {
      Walk walk = walk(id, live.buckets());
      if (!walk.missingInMySql().isEmpty()) {
        drifts.add(
            new Drift(
                Drift.Kind.ROW_MISSING_IN_MYSQL,
                Human.count(walk.missingInMySql().size(), "redemption is", "redemptions are")
                    + " in Redis but neither in MySQL nor in the outbox: "
                    + ids(walk.missingInMySql().stream().map(m -> m.record().id().toString()))));
      }
      if (!walk.reversalsMissingInMySql().isEmpty()) {
        drifts.add(
            new Drift(
                Drift.Kind.ROW_MISSING_IN_MYSQL,
                Human.count(walk.reversalsMissingInMySql().size(), "reversal is", "reversals are")
                    + " in Redis but MySQL still shows ACCEPTED and the outbox has none: "
                    + ids(walk.reversalsMissingInMySql().stream().map(r -> r.id().toString()))));
      }
      if (!walk.missingInRedis().isEmpty()) {
        drifts.add(
            new Drift(
                Drift.Kind.RECORD_MISSING_IN_REDIS,
                Human.count(walk.missingInRedis().size(), "redemption is", "redemptions are")
                    + " in MySQL but has no record in Redis: "
                    + ids(walk.missingInRedis().stream().map(RedemptionRow::redemptionId))));
      }
      truth = walk.adjust(expected, live.totalStock());
    }
    if (!seen.equals(truth)) {
      String inside =
          live.stock() + live.accepted() != live.totalStock()
              ? " (in Redis itself stock + accepted is "
                  + (live.stock() + live.accepted())
                  + ", total is "
                  + live.totalStock()
                  + ")"
              : "";
      drifts.add(
          new Drift(
              Drift.Kind.COUNTER_WRONG,
              "Redis has stock/accepted/reversed "
                  + counters(seen)
                  + ", MySQL and the outbox say "
                  + counters(truth)
                  + (truth.equals(expected) ? "" : " (counting the rows missing in MySQL)")
                  + inside));
    }
    return new CouponCheck(id, s.coupon(), s.live(), s.rows(), expected, drifts);
  }

  /** MySQL, Redis (atomically), MySQL again: one read during which the sink moved no row. */
  private record Snapshot(
      long couponId,
      Optional<Coupon> coupon,
      RedemptionCounts rows,
      Optional<CouponInspection> live) {

    Counters seen() {
      return CouponCheck.countersOf(live.orElseThrow());
    }

    Counters expected() {
      CouponInspection i = live.orElseThrow();
      long accepted = rows.accepted() + i.pendingAccepts() - i.pendingReversals();
      return new Counters(
          i.coupon().totalStock() - accepted, accepted, rows.reversed() + i.pendingReversals());
    }

    /**
     * What the counters are off by (expected minus seen); null when there is nothing to compare.
     */
    Counters delta() {
      return live.isEmpty() || coupon.isEmpty() ? null : minus(expected(), seen());
    }
  }

  private Snapshot snapshot(long couponId) {
    Snapshot last = null;
    for (int attempt = 0; attempt < READS; attempt++) {
      Optional<Coupon> coupon;
      RedemptionCounts before;
      try (SqlSession session = database.sessions().openSession(true)) {
        coupon = session.getMapper(CouponMapper.class).findById(couponId);
        before = session.getMapper(RedemptionMapper.class).countsFor(couponId);
      }
      Optional<CouponInspection> live = OpsContext.await(functions.inspect(couponId));
      RedemptionCounts after = counts(couponId);
      last = new Snapshot(couponId, coupon, after, live);
      if (before.equals(after)) {
        return last;
      }
    }
    return last;
  }

  /** A snapshot whose drift, if any, two reads in a row agree on. */
  private Snapshot settled(long couponId) {
    Snapshot previous = snapshot(couponId);
    for (int attempt = 1; attempt < READS; attempt++) {
      Counters delta = previous.delta();
      if (delta == null || delta.equals(NONE)) {
        return previous;
      }
      Snapshot next = snapshot(couponId);
      if (delta.equals(next.delta())) {
        return next;
      }
      previous = next;
    }
    return previous;
  }

  private RedemptionCounts counts(long couponId) {
    try (SqlSession session = database.sessions().openSession(true)) {
      return session.getMapper(RedemptionMapper.class).countsFor(couponId);
    }
  }

  private Map<String, RedemptionRow> rows(long couponId) {
    Map<String, RedemptionRow> rows = new LinkedHashMap<>();
    try (SqlSession session = database.sessions().openSession(true)) {
      RedemptionMapper mapper = session.getMapper(RedemptionMapper.class);
      String after = null;
      while (true) {
        List<RedemptionRow> page = mapper.pageOfCoupon(couponId, after, PAGE);
        page.forEach(r -> rows.put(r.redemptionId(), r));
        if (page.size() < PAGE) {
          return rows;
        }
        after = page.get(page.size() - 1).redemptionId();
      }
    }
  }

  /** The redemption ids with an accept, and those with a reversal, pending in the outbox. */
  private record Pending(Set<String> accepts, Set<String> reversals) {}

  private Pending pending(long couponId) {
    Set<String> accepts = new HashSet<>();
    Set<String> reversals = new HashSet<>();
    String after = null;
    while (true) {
      List<OutboxEntry> page =
          OpsContext.await(functions.outboxRead(couponId, Duration.ZERO, PAGE, after));
      for (OutboxEntry e : page) {
        String id = e.field("r").orElse("");
        if (e.isAccept()) {
          accepts.add(id);
        } else if (e.isReversal()) {
          reversals.add(id);
        }
      }
      if (page.size() < PAGE) {
        return new Pending(accepts, reversals);
      }
      after = page.get(page.size() - 1).id();
    }
  }

  /** A Redis record MySQL lacks, and the status its row gets. */
  private record MissingRow(RedisRecord record, RedemptionStatus status) {}

  private record Walk(
      List<MissingRow> missingInMySql,
      List<RedisRecord> reversalsMissingInMySql,
      List<RedemptionRow> missingInRedis) {

    /** The counters Redis should hold once the missing rows are in MySQL. */
    Counters adjust(Counters expected, long total) {
      long accepted = expected.accepted();
      long reversed = expected.reversed();
      for (MissingRow m : missingInMySql) {
        if (m.status() == RedemptionStatus.REVERSED) {
          reversed++;
        } else {
          accepted++;
        }
      }
      accepted -= reversalsMissingInMySql.size();
      reversed += reversalsMissingInMySql.size();
      return new Counters(total - accepted, accepted, reversed);
    }
  }

  /**
   * Rows, then records, then the outbox, then rows again. A row read first has its record in Redis
   * already (records are written before rows, and never deleted), so a row without a record is a
   * record Redis lost. A record whose entry is gone from the outbox was committed before it left,
   * so a record found in neither the outbox nor the rows read last is a row MySQL lacks.
   */
  private Walk walk(long couponId, int buckets) {
    Map<String, RedemptionRow> before = rows(couponId);
    Map<String, RedisRecord> records = RedisRecords.read(functions, couponId, buckets);
    Pending pending = pending(couponId);
    Map<String, RedemptionRow> after = rows(couponId);
    List<MissingRow> missingInMySql = new ArrayList<>();
    List<RedisRecord> reversalsMissing = new ArrayList<>();
    for (RedisRecord record : records.values()) {
      String id = record.id().toString();
      RedemptionRow row = after.get(id);
      if (row == null) {
        if (!pending.accepts().contains(id)) {
          boolean reversedHere = record.reversed() && !pending.reversals().contains(id);
          missingInMySql.add(
              new MissingRow(
                  record, reversedHere ? RedemptionStatus.REVERSED : RedemptionStatus.ACCEPTED));
        }
      } else if (record.reversed()
          && row.status() == RedemptionStatus.ACCEPTED
          && !pending.reversals().contains(id)) {
        reversalsMissing.add(record);
      }
    }
    List<RedemptionRow> missingInRedis =
        before.values().stream().filter(r -> !records.containsKey(r.redemptionId())).toList();
    missingInMySql.sort((a, b) -> a.record().id().toString().compareTo(b.record().id().toString()));
    reversalsMissing.sort((a, b) -> a.id().toString().compareTo(b.id().toString()));
    return new Walk(missingInMySql, reversalsMissing, missingInRedis);
  }

  private void rebuild(Coupon coupon, RedemptionCounts rows, List<String> actions) {
    long id = coupon.couponId();
    CouponRepair.Outcome made = new CouponRepair(functions, database.sessions()).makeLive(coupon);
    LoadOutcome loaded =
        made instanceof CouponRepair.Outcome.Repaired r
            ? new LoadOutcome.Created(r.report().counters().stock(), true)
            : new LoadOutcome.Refused(String.valueOf(made));
    if (loaded instanceof LoadOutcome.Refused refused) {
      actions.add("could not load coupon " + id + " into Redis: " + refused.reason());
      return;
    }
    actions.add(
        loaded instanceof LoadOutcome.Created created
            ? "rebuilt coupon "
                + id
                + " in Redis from MySQL: "
                + Human.count(
                    rows.accepted() + rows.reversed(), "redemption record", "redemption records")
                + " restored first, then the coupon made live with stock "
                + created.stock()
                + " (total "
                + coupon.totalStock()
                + " - "
                + rows.accepted()
                + " accepted rows)"
            : "coupon " + id + " was loaded into Redis meanwhile (by a gateway): " + loaded);
  }

  private int restore(long couponId, int buckets, java.util.Collection<RedemptionRow> rows) {
    int restored = 0;
    List<RedemptionRow> all = new ArrayList<>(rows);
    for (int from = 0; from < all.size(); from += PAGE) {
      List<CompletableFuture<Boolean>> calls = new ArrayList<>();
      for (RedemptionRow row : all.subList(from, Math.min(all.size(), from + PAGE))) {
        calls.add(functions.restore(row.toRedemption(), row.idempotencyKey(), buckets));
      }
      for (CompletableFuture<Boolean> call : calls) {
        if (OpsContext.await(call)) {
          restored++;
        }
      }
    }
    return restored;
  }

  private void load(Coupon coupon, List<String> actions) {
    long id = coupon.couponId();
    RedemptionCounts rows = counts(id);
    LoadOutcome loaded = OpsContext.await(functions.load(coupon, rows.accepted(), rows.reversed()));
    if (loaded instanceof LoadOutcome.Updated updated) {
      actions.add(
          "loaded definition version "
              + coupon.version()
              + " into Redis (stock moved by "
              + updated.restockDelta()
              + " to "
              + updated.stock()
              + ")");
    } else {
      actions.add("could not load definition version " + coupon.version() + ": " + loaded);
    }
  }

  private void replayOutbox(long couponId, long pendingAtCheck, List<String> actions) {
    int stored = 0;
    int dead = 0;
    int deferred = 0;
    long pages = pendingAtCheck / PAGE + 2;
    String after = null;
    for (long p = 0; p < pages; p++) {
      List<OutboxEntry> page =
          OpsContext.await(functions.outboxRead(couponId, Duration.ZERO, PAGE, after));
      if (page.isEmpty()) {
        break;
      }
      BatchWriter.Report report = writer.write(page);
      stored += report.stored();
      dead += report.deadLettered();
      deferred += report.deferred();
      if (page.size() < PAGE) {
        break;
      }
      after = page.get(page.size() - 1).id();
    }
    if (stored + dead + deferred > 0) {
      actions.add(
          "replayed the outbox into MySQL: "
              + Human.count(stored, "entry", "entries")
              + " stored"
              + (dead > 0 ? ", " + dead + " dead letters" : "")
              + (deferred > 0 ? ", " + deferred + " reversals wait for their accept" : ""));
    }
  }

  /** Restores records Redis lost and writes rows MySQL lacks; false when a row was refused. */
  private boolean fixRecords(long couponId, List<String> actions) {
    Optional<LiveCoupon> live = OpsContext.await(functions.coupon(couponId));
    if (live.isEmpty()) {
      return false;
    }
    int buckets = live.get().buckets();
    Walk walk = walk(couponId, buckets);
    if (!walk.missingInRedis().isEmpty()) {
      int restored = restore(couponId, buckets, walk.missingInRedis());
      actions.add(
          "restored "
              + Human.count(restored, "redemption record", "redemption records")
              + " from MySQL into Redis");
    }
    boolean ok = true;
    if (!walk.missingInMySql().isEmpty()) {
      Map<String, String> keys = RedisRecords.idempotencyKeys(functions, couponId, buckets);
      List<String> written = new ArrayList<>();
      for (MissingRow missing : walk.missingInMySql()) {
        RedemptionRow row = row(missing, keys);
        try (SqlSession session = database.sessions().openSession(true)) {
          session.getMapper(RedemptionMapper.class).upsertAll(List.of(row));
          written.add(row.redemptionId());
        } catch (RuntimeException e) {
          ok = false;
          actions.add(
              "MySQL refused the row " + row.redemptionId() + ": " + OpsException.rootLine(e));
        }
      }
      if (!written.isEmpty()) {
        actions.add(
            "wrote "
                + Human.count(written.size(), "row", "rows")
                + " rebuilt from Redis's records into MySQL: "
                + ids(written.stream()));
      }
    }
    if (!walk.reversalsMissingInMySql().isEmpty()) {
      try (SqlSession session = database.sessions().openSession(true)) {
        RedemptionMapper mapper = session.getMapper(RedemptionMapper.class);
        for (RedisRecord r : walk.reversalsMissingInMySql()) {
          mapper.markReversed(r.id().toString(), r.reversedAt(), null);
        }
      }
      actions.add(
          "marked "
              + Human.count(walk.reversalsMissingInMySql().size(), "row", "rows")
              + " REVERSED in MySQL as Redis records them");
    }
    return ok;
  }

  private static RedemptionRow row(MissingRow missing, Map<String, String> keys) {
    RedisRecord r = missing.record();
    String id = r.id().toString();
    boolean reversed = missing.status() == RedemptionStatus.REVERSED;
    return new RedemptionRow(
        id,
        r.id().couponId(),
        keys.getOrDefault(id, "reconciled:" + id),
        r.userId(),
        r.id().orderId(),
        r.amountCents(),
        r.discountCents(),
        missing.status(),
        r.acceptedAt(),
        reversed ? r.reversedAt() : null,
        null,
        "reconciled-" + r.acceptedAt().toEpochMilli());
  }

  private void correctCounters(long couponId, List<String> actions) {
    Snapshot s = settled(couponId);
    Counters delta = s.delta();
    if (delta == null || delta.equals(NONE)) {
      return;
    }
    Counters current = s.seen();
    for (int attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
      Counters target = plus(current, delta);
      if (target.stock() < 0 || target.accepted() < 0 || target.reversed() < 0) {
        actions.add(
            "counters not corrected: "
                + counters(target)
                + " has a negative value (more accepted than total stock?)");
        return;
      }
      ReconcileOutcome outcome =
          OpsContext.await(functions.reconcileApply(couponId, current, target));
      switch (outcome.status()) {
        case APPLIED -> {
          actions.add(
              "corrected stock/accepted/reversed from "
                  + counters(current)
                  + " to "
                  + counters(target)
                  + (attempt > 0
                      ? " (live traffic moved them first, "
                          + Human.count(attempt, "time", "times")
                          + ")"
                      : ""));
          return;
        }
        case MOVED -> current = outcome.live();
        default -> {
          actions.add("counters not corrected: Redis answered " + outcome.status());
          return;
        }
      }
    }
    actions.add(
        "counters not corrected: live traffic moved them "
            + APPLY_ATTEMPTS
            + " times in a row; run reconcile again");
  }

  private static Counters minus(Counters a, Counters b) {
    return new Counters(
        a.stock() - b.stock(), a.accepted() - b.accepted(), a.reversed() - b.reversed());
  }

  private static Counters plus(Counters a, Counters b) {
    return new Counters(
        a.stock() + b.stock(), a.accepted() + b.accepted(), a.reversed() + b.reversed());
  }

  static String counters(Counters c) {
    return c.stock() + "/" + c.accepted() + "/" + c.reversed();
  }

  private static String ids(java.util.stream.Stream<String> ids) {
    List<String> all = ids.toList();
    String shown = String.join(", ", all.subList(0, Math.min(SHOWN_IDS, all.size())));
    return all.size() > SHOWN_IDS ? shown + " and " + (all.size() - SHOWN_IDS) + " more" : shown;
  }
}
