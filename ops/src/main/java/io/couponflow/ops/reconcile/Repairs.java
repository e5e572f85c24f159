package io.couponflow.ops.reconcile;

import io.couponflow.core.live.CouponRepair;
import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.ReconcileOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sql.Database;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ibatis.session.SqlSession;

/**
 * Runs the actions {@link Diagnose} planned and says what each did ({@link Done}).
 *
 * <p>A coupon Redis lost is made live by {@link CouponRepair}; a definition behind is loaded; the
 * outbox is replayed through the sink's {@link BatchWriter}; records Redis lost are restored
 * ({@code cf_restore}) and rows MySQL lacks are written from Redis's records; and the counters are
 * corrected last with {@code cf_reconcile_apply}. That call writes only if the counters are still
 * what was just read; live traffic moves counters and the truth alike, so the correction (truth
 * minus counters) stays valid, and on MOVED it is applied again to the counters Redis answered
 * with, a bounded number of times. Live redemptions are never overwritten.
 *
 * <p>Thread-safety: safe for use by many threads, but repair one coupon at a time.
 */
final class Repairs {
  private static final int PAGE = 500;
  private static final int APPLY_ATTEMPTS = 100;
  private static final Counters NONE = new Counters(0, 0, 0);

  private final Database database;
  private final CouponFunctions functions;
  private final BatchWriter writer;
  private final Duration redisWait;

  Repairs(Database database, CouponFunctions functions, BatchWriter writer, Duration redisWait) {
    this.database = database;
    this.functions = functions;
    this.writer = writer;
    this.redisWait = redisWait;
  }

  /** Runs one action but {@link Action.CorrectCounters}. */
  List<Done> run(Action action) {
    if (action instanceof Action.MakeLive a) {
      return List.of(makeLive(a.coupon()));
    }
    if (action instanceof Action.LoadDefinition a) {
      return List.of(load(a.coupon()));
    }
    if (action instanceof Action.ReplayOutbox a) {
      return replayOutbox(a.couponId(), a.pending());
    }
    if (action instanceof Action.RestoreRecords a) {
      return List.of(restore(a.rows(), a.buckets()));
    }
    if (action instanceof Action.WriteRows a) {
      return writeRows(a.rows());
    }
    if (action instanceof Action.MarkReversed a) {
      return List.of(markReversed(a.reversals()));
    }
    throw new IllegalArgumentException("not run here: " + action);
  }

  /** Tells the gateways that the coupon changed. */
  void announce(long couponId) {
    Await.of(functions.publishChanged(couponId), redisWait);
  }

  private Done makeLive(Coupon coupon) {
    CouponRepair.Outcome made = new CouponRepair(functions, database.sessions()).makeLive(coupon);
    if (made instanceof CouponRepair.Outcome.Repaired r) {
      return new Done.Rebuilt(r.report(), coupon.totalStock());
    }
    if (made instanceof CouponRepair.Outcome.Created c) {
      return new Done.Created(c.stock());
    }
    if (made instanceof CouponRepair.Outcome.Live) {
      return new Done.AlreadyLive();
    }
    return new Done.NotMadeLive(made);
  }

  private Done load(Coupon coupon) {
    RedemptionCounts rows;
    try (SqlSession session = database.sessions().openSession(true)) {
      rows = session.getMapper(RedemptionMapper.class).countsFor(coupon.couponId());
    }
    LoadOutcome loaded =
        Await.of(functions.load(coupon, rows.accepted(), rows.reversed()), redisWait);
    return new Done.DefinitionLoaded(coupon.version(), loaded);
  }

  private List<Done> replayOutbox(long couponId, long pendingAtCheck) {
    int stored = 0;
    int dead = 0;
    int deferred = 0;
    long pages = pendingAtCheck / PAGE + 2;
    String after = null;
    for (long p = 0; p < pages; p++) {
      List<OutboxEntry> page =
          Await.of(functions.outboxRead(couponId, Duration.ZERO, PAGE, after), redisWait);
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
    return stored + dead + deferred > 0
        ? List.of(new Done.OutboxReplayed(stored, dead, deferred))
        : List.of();
  }

  private Done restore(List<RedemptionRow> rows, int buckets) {
    int restored = 0;
    for (int from = 0; from < rows.size(); from += PAGE) {
      List<CompletableFuture<Boolean>> calls = new ArrayList<>();
      for (RedemptionRow row : rows.subList(from, Math.min(rows.size(), from + PAGE))) {
        calls.add(functions.restore(row.toRedemption(), row.idempotencyKey(), buckets));
      }
      for (CompletableFuture<Boolean> call : calls) {
        if (Await.of(call, redisWait)) {
          restored++;
        }
      }
    }
    return new Done.RecordsRestored(restored);
  }

  private List<Done> writeRows(List<RedemptionRow> rows) {
    List<Done> done = new ArrayList<>();
    List<String> written = new ArrayList<>();
    for (RedemptionRow row : rows) {
      try (SqlSession session = database.sessions().openSession(true)) {
        session.getMapper(RedemptionMapper.class).upsertAll(List.of(row));
        written.add(row.redemptionId());
      } catch (RuntimeException e) {
        done.add(new Done.RowRefused(row.redemptionId(), rootMessage(e)));
      }
    }
    if (!written.isEmpty()) {
      done.add(new Done.RowsWritten(written));
    }
    return done;
  }

  private Done markReversed(List<Redemption> reversals) {
    try (SqlSession session = database.sessions().openSession(true)) {
      RedemptionMapper mapper = session.getMapper(RedemptionMapper.class);
      for (Redemption r : reversals) {
        mapper.markReversed(r.redemptionId().toString(), r.reversedAt(), null);
      }
    }
    return new Done.ReversalsMarked(reversals.size());
  }

  /** Corrects the counters by what {@code fresh} found them off by. */
  List<Done> correctCounters(CouponCheck fresh) {
    Counters expected = fresh.expected();
    if (expected == null || fresh.live().isEmpty()) {
      return List.of();
    }
    Counters current = CouponState.countersOf(fresh.live().get());
    Counters delta = minus(expected, current);
    if (delta.equals(NONE)) {
      return List.of();
    }
    long couponId = fresh.couponId();
    for (int attempt = 0; attempt < APPLY_ATTEMPTS; attempt++) {
      Counters target = plus(current, delta);
      if (target.stock() < 0 || target.accepted() < 0 || target.reversed() < 0) {
        return List.of(new Done.CountersNegative(target));
      }
      ReconcileOutcome outcome =
          Await.of(functions.reconcileApply(couponId, current, target), redisWait);
      switch (outcome.status()) {
        case APPLIED -> {
          return List.of(new Done.CountersCorrected(current, target, attempt));
        }
        case MOVED -> current = outcome.live();
        default -> {
          return List.of(new Done.CountersRefused(outcome.status()));
        }
      }
    }
    return List.of(new Done.CountersKeptMoving(APPLY_ATTEMPTS));
  }

  private static Counters minus(Counters a, Counters b) {
    return new Counters(
        a.stock() - b.stock(), a.accepted() - b.accepted(), a.reversed() - b.reversed());
  }

  private static Counters plus(Counters a, Counters b) {
    return new Counters(
        a.stock() + b.stock(), a.accepted() + b.accepted(), a.reversed() + b.reversed());
  }

  /** The first line of the innermost cause's message. */
  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage()).lines().findFirst().orElse("");
  }
}
