package io.couponflow.ops.reconcile;

import io.couponflow.core.Await;
import io.couponflow.core.live.CouponRepair;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sql.Database;
import io.couponflow.sql.RedemptionMapper;
import io.couponflow.sql.RedemptionRow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.ibatis.session.SqlSession;

/**
 * Runs the actions {@link Diagnose} planned and says what each did ({@link Done}).
 *
 * <p>The outbox is replayed through the sink's {@link BatchWriter}; rows MySQL lacks are written
 * from Redis's records; a definition behind is loaded ({@code cf_load}). Anything wrong with the
 * records or counters in Redis is repaired by {@link CouponRepair}: the coupon is fenced ({@code
 * cf_fence}) so that it decides nothing meanwhile, then made live from MySQL, which is exact (the
 * counters are derived from the records both sides hold, never patched) and never negative: an
 * oversold coupon goes live with stock 0, and its report says by how much. When Redis restarted or
 * failed over moments ago, the repair waits for its incarnation to settle (COUPON_REPAIR_SETTLE), a
 * bounded time.
 *
 * <p>Thread-safety: safe for use by many threads; repairs of one coupon at once are idempotent.
 */
final class Repairs {
  private static final int PAGE = 500;

  private final Database database;
  private final CouponFunctions functions;
  private final BatchWriter writer;
  private final CouponRepair repair;
  private final Duration redisWait;

  Repairs(Database database, CouponFunctions functions, BatchWriter writer, Duration redisWait) {
    this.database = database;
    this.functions = functions;
    this.writer = writer;
    this.repair = new CouponRepair(functions, database.sessions());
    this.redisWait = redisWait;
  }

  /** Runs one action. */
  List<Done> run(Action action) {
    if (action instanceof Action.MakeLive a) {
      return List.of(makeLive(a.coupon(), a.fence()));
    }
    if (action instanceof Action.LoadDefinition a) {
      return List.of(load(a.coupon()));
    }
    if (action instanceof Action.ReplayOutbox a) {
      return replayOutbox(a.couponId(), a.pending());
    }
    if (action instanceof Action.WriteRows a) {
      return writeRows(a.rows());
    }
    if (action instanceof Action.MarkReversed a) {
      return List.of(markReversed(a.reversals()));
    }
    throw new IllegalArgumentException("unknown action: " + action);
  }

  /** Tells the gateways that the coupon changed. */
  void announce(long couponId) {
    Await.of(functions.publishChanged(couponId), redisWait);
  }

  private Done makeLive(Coupon coupon, boolean fence) {
    boolean fenced = fence && Await.of(functions.fence(coupon.couponId()), redisWait);
    CouponRepair.Waited made;
    try {
      made = repair.makeLiveWaiting(coupon, repair.settleBound());
    } catch (IllegalStateException e) {
      return new Done.Failed(rootMessage(e));
    }
    if (made.outcome() instanceof CouponRepair.Outcome.Settling settling) {
      return new Done.StillSettling(made.waited(), settling.remaining());
    }
    if (made.outcome() instanceof CouponRepair.Outcome.Repaired r) {
      return new Done.Repaired(fenced, r.report(), made.waited());
    }
    if (made.outcome() instanceof CouponRepair.Outcome.Created c) {
      return new Done.Created(c.stock());
    }
    if (made.outcome() instanceof CouponRepair.Outcome.Live) {
      return new Done.AlreadyLive();
    }
    return new Done.Undefined();
  }

  private Done load(Coupon coupon) {
    LoadOutcome loaded = Await.of(repair.refresh(coupon), redisWait);
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

  /** The first line of the innermost cause's message. */
  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage()).lines().findFirst().orElse("");
  }
}
