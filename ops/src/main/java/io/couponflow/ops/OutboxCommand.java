package io.couponflow.ops;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.sql.DeadLetterMapper;
import io.couponflow.sql.DeadLetterRow;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.ibatis.session.SqlSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coupons outbox}: what Redis accepted that MySQL does not hold yet, and dead letters. */
@Command(
    name = "outbox",
    mixinStandardHelpOptions = true,
    description = {
      "Show the outbox: redemptions and reversals Redis accepted that MySQL does not hold yet"
          + " (oldest first, with their ages on the Redis clock), and the dead letters: entries"
          + " MySQL refused, kept in the dead_letter table with their errors.",
      "Entries normally leave within milliseconds; an entry older than a few seconds means the"
          + " sink is behind or MySQL is down (the gateways' sweeper retries; 'coupons reconcile"
          + " --apply' replays them at once).",
      ""
    })
final class OutboxCommand implements Callable<Integer> {
  private static final Duration SCAN_TIMEOUT = Duration.ofSeconds(30);

  private final OpsContext context;
  private final PrintWriter out;

  @Option(names = "--coupon", paramLabel = "N", description = "Only this coupon (default: all).")
  Long couponId;

  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "20",
      description = "Entries and dead letters listed per coupon (default: ${DEFAULT-VALUE}).")
  int limit;

  @Mixin JsonOption json;

  OutboxCommand(OpsContext context, PrintWriter out) {
    this.context = context;
    this.out = out;
  }

  @Override
  public Integer call() {
    if (couponId != null && couponId <= 0) {
      throw new OpsException("--coupon: " + couponId + " (expected: a positive coupon id)", 2);
    }
    if (limit < 1 || limit > 10_000) {
      throw new OpsException("--limit: " + limit + " (expected: 1..10000)", 2);
    }
    CouponFunctions functions = context.functions();
    List<Long> coupons;
    if (couponId != null) {
      if (context.findCoupon(couponId).isEmpty()
          && OpsContext.await(functions.inspect(couponId)).isEmpty()
          && OpsContext.await(functions.outboxRead(couponId, Duration.ZERO, 1, null)).isEmpty()) {
        throw new OpsException("coupon " + couponId + " does not exist");
      }
      coupons = List.of(couponId);
    } else {
      coupons = functions.couponsWithPendingOutbox(SCAN_TIMEOUT);
    }
    Output output = new Output(out, json.json);
    List<Map<String, Object>> couponReports = new ArrayList<>();
    List<Map<String, Object>> entryRows = new ArrayList<>();
    long pendingTotal = 0;
    long oldestAgeMs = 0;
    for (long id : coupons) {
      Optional<CouponInspection> inspection = OpsContext.await(functions.inspect(id));
      List<OutboxEntry> entries =
          OpsContext.await(functions.outboxRead(id, Duration.ZERO, limit, null));
      Instant now = inspection.map(CouponInspection::redisNow).orElse(Instant.now());
      long pending = inspection.map(CouponInspection::pending).orElse((long) entries.size());
      if (pending == 0) {
        if (couponId != null) {
          couponReports.add(couponReport(id, 0, 0, 0, 0, List.of()));
        }
        continue;
      }
      long ageMs = inspection.map(i -> i.oldestPendingAge().toMillis()).orElse(0L);
      pendingTotal += pending;
      oldestAgeMs = Math.max(oldestAgeMs, ageMs);
      List<Map<String, Object>> rows = new ArrayList<>();
      for (OutboxEntry e : entries) {
        Map<String, Object> row =
            Output.fields(
                "coupon", id,
                "entry", e.id(),
                "type", e.isAccept() ? "accept" : e.isReversal() ? "reversal" : e.type(),
                "redemption", e.field("r").orElse("?"),
                "user", e.field("u").orElse("-"),
                "ageMs", Math.max(0, now.toEpochMilli() - e.appendedAtMillis()),
                "age", Human.age(now.toEpochMilli() - e.appendedAtMillis()));
        rows.add(row);
        entryRows.add(row);
      }
      couponReports.add(
          couponReport(
              id,
              pending,
              inspection.map(CouponInspection::pendingAccepts).orElse(-1L),
              inspection.map(CouponInspection::pendingReversals).orElse(-1L),
              ageMs,
              rows));
    }
    long deadCount;
    List<DeadLetterRow> dead;
    try (SqlSession session = context.database().sessions().openSession(true)) {
      DeadLetterMapper mapper = session.getMapper(DeadLetterMapper.class);
      deadCount = mapper.count(couponId);
      dead = mapper.recent(couponId, limit);
    }
    List<Map<String, Object>> deadRows = new ArrayList<>();
    for (DeadLetterRow d : dead) {
      deadRows.add(
          Output.fields(
              "coupon", d.couponId(),
              "entry", d.outboxId(),
              "at", d.createdAt().toString(),
              "error", d.error(),
              "content", d.entry()));
    }
    output.document(
        Output.fields(
            "pending", pendingTotal,
            "oldestAgeMs", oldestAgeMs,
            "coupons", couponReports,
            "deadLetters", deadCount,
            "recentDeadLetters", deadRows));
    if (!output.json()) {
      sayForPeople(
          output, couponReports, entryRows, pendingTotal, oldestAgeMs, deadCount, deadRows);
    }
    return 0;
  }

  private void sayForPeople(
      Output output,
      List<Map<String, Object>> couponReports,
      List<Map<String, Object>> entryRows,
      long pendingTotal,
      long oldestAgeMs,
      long deadCount,
      List<Map<String, Object>> deadRows) {
    output.say("Pending in the outbox (accepted in Redis, not in MySQL yet):");
    if (pendingTotal == 0) {
      output.say("  none");
    } else {
      output.table(entryRows, List.of("coupon", "entry", "type", "redemption", "user", "age"));
      for (Map<String, Object> c : couponReports) {
        long pending = (Long) c.get("pending");
        long listed = ((List<?>) c.get("entries")).size();
        if (pending > listed) {
          output.say(
              "  coupon "
                  + c.get("couponId")
                  + ": "
                  + (pending - listed)
                  + " more not listed (--limit)");
        }
      }
    }
    output.say(
        pendingTotal
            + " pending in "
            + Human.count(
                couponReports.stream().filter(c -> (Long) c.get("pending") > 0).count(),
                "coupon",
                "coupons")
            + (pendingTotal > 0 ? ", the oldest " + Human.age(oldestAgeMs) + " old" : ""));
    output.say("");
    output.say("Dead letters (MySQL refused them; table dead_letter): " + deadCount);
    if (!deadRows.isEmpty()) {
      output.table(deadRows, List.of("coupon", "entry", "at", "error"));
    }
  }

  private static Map<String, Object> couponReport(
      long id,
      long pending,
      long accepts,
      long reversals,
      long oldestAgeMs,
      List<Map<String, Object>> entries) {
    return Output.fields(
        "couponId", id,
        "pending", pending,
        "pendingAccepts", accepts,
        "pendingReversals", reversals,
        "oldestAgeMs", oldestAgeMs,
        "entries", entries);
  }
}
