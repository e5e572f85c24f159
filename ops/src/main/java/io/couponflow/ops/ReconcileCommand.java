package io.couponflow.ops;

import io.couponflow.lua.CouponInspection;
import io.couponflow.model.Coupon;
import io.couponflow.ops.reconcile.CouponCheck;
import io.couponflow.ops.reconcile.CouponState;
import io.couponflow.ops.reconcile.Done;
import io.couponflow.ops.reconcile.Finding;
import io.couponflow.ops.reconcile.Reconciler;
import io.couponflow.ops.reconcile.Repair;
import io.couponflow.sql.CouponMapper;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import org.apache.ibatis.session.SqlSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coupons reconcile}: compares Redis with MySQL per coupon, and repairs with --apply. */
@Command(
    name = "reconcile",
    mixinStandardHelpOptions = true,
    description = {
      "Compare each coupon in Redis (stock, accepted and reversed counters, the outbox) with MySQL"
          + " (total stock, ACCEPTED and REVERSED rows). Dry run unless --apply.",
      "",
      "The invariant: remaining stock = total - (accepted rows + pending outbox accepts - pending"
          + " outbox reversals). Every drift is printed with its cause when it can be told: outbox"
          + " not drained yet, a row missing in MySQL, a redemption missing in Redis, a Redis"
          + " counter wrong, Redis lost the coupon (crash without AOF), a definition behind, a"
          + " coupon fenced (Redis restarted or failed over since it was last verified).",
      "",
      "--apply repairs: replays the outbox into MySQL, writes rows missing in MySQL from Redis's"
          + " records, and repairs anything wrong with Redis's records or counters (and a coupon"
          + " Redis lost or holds fenced) from MySQL: the coupon is fenced, so that it decides nothing meanwhile,"
          + " its records merged, its counters derived from them, and it goes live again. An"
          + " oversold coupon goes live with stock 0 and the repair says by how much. Run one"
          + " reconcile at a time.",
      ""
    },
    footer = {
      "",
      "Exit codes: 0 consistent (or repaired with --apply), 3 drift found (dry run),"
          + " 1 drift left after --apply or a failure, 2 bad usage."
    })
final class ReconcileCommand implements Callable<Integer> {
  private static final int PAGE = 500;
  private static final long PROGRESS_EVERY_MS = 1000;

  private final OpsContext context;
  private final PrintWriter out;
  private final PrintWriter err;

  @Option(names = "--coupon", paramLabel = "N", description = "Only this coupon (default: all).")
  Long couponId;

  @Option(names = "--apply", description = "Repair what drifted (default: only report).")
  boolean apply;

  @Option(
      names = "--deep",
      description =
          "Also compare every redemption record with its row when the counters agree"
              + " (slower; finds records lost while a gateway reloaded the coupon).")
  boolean deep;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      defaultValue = "10s",
      description =
          "Outbox entries younger than this are in flight, not drift (default: ${DEFAULT-VALUE}).")
  Duration grace;

  @Mixin JsonOption json;

  ReconcileCommand(OpsContext context, PrintWriter out, PrintWriter err) {
    this.context = context;
    this.out = out;
    this.err = err;
  }

  @Override
  public Integer call() {
    if (couponId != null && couponId <= 0) {
      throw new OpsException("--coupon: " + couponId + " (expected: a positive coupon id)", 2);
    }
    Reconciler reconciler =
        new Reconciler(context.database(), context.functions(), context.writer(), grace);
    Output output = new Output(out, json.json);
    Tally tally = new Tally();
    List<Map<String, Object>> reports = new ArrayList<>();
    if (couponId != null) {
      if (context.findCoupon(couponId).isEmpty()
          && OpsContext.await(context.functions().coupon(couponId)).isEmpty()) {
        throw new OpsException("coupon " + couponId + " does not exist");
      }
      reports.add(reconcileOne(reconciler, couponId, output, tally, true));
    } else {
      reconcileAll(reconciler, output, tally, reports);
    }
    output.document(
        Output.fields(
            "apply",
            apply,
            "checked",
            tally.checked,
            "consistent",
            tally.consistent,
            "drifting",
            apply ? tally.failed : tally.drifting,
            "repaired",
            tally.repaired,
            "coupons",
            reports));
    output.say(tally.summary(apply));
    if (apply && tally.failed > 0) {
      throw new OpsException(
          Human.count(tally.failed, "coupon still drifts", "coupons still drift")
              + " after repair: "
              + String.join(", ", tally.failedIds));
    }
    return !apply && tally.drifting > 0 ? 3 : 0;
  }

  private void reconcileAll(
      Reconciler reconciler, Output output, Tally tally, List<Map<String, Object>> reports) {
    TreeSet<Long> onlyInRedis = new TreeSet<>();
    onlyInRedis.addAll(context.functions().couponIds(OpsContext.REDIS_WAIT));
    long total;
    try (SqlSession session = context.database().sessions().openSession(true)) {
      total = session.getMapper(CouponMapper.class).count();
    }
    long lastProgress = System.currentTimeMillis();
    long after = 0;
    while (true) {
      List<Coupon> page;
      try (SqlSession session = context.database().sessions().openSession(true)) {
        page = session.getMapper(CouponMapper.class).page(after, PAGE);
      }
      for (Coupon coupon : page) {
        onlyInRedis.remove(coupon.couponId());
        Map<String, Object> report =
            reconcileOne(reconciler, coupon.couponId(), output, tally, false);
        if (report != null) {
          reports.add(report);
        }
        if (System.currentTimeMillis() - lastProgress >= PROGRESS_EVERY_MS) {
          progress(tally, Math.max(total, tally.checked));
          lastProgress = System.currentTimeMillis();
        }
      }
      if (page.size() < PAGE) {
        break;
      }
      after = page.get(page.size() - 1).couponId();
    }
    for (long id : onlyInRedis) {
      Map<String, Object> report = reconcileOne(reconciler, id, output, tally, false);
      if (report != null) {
        reports.add(report);
      }
    }
    progress(tally, tally.checked);
  }

  private void progress(Tally tally, long total) {
    err.println(
        "reconcile: "
            + tally.checked
            + "/"
            + total
            + " coupons checked, "
            + (apply
                ? tally.repaired + " repaired, " + tally.failed + " still drifting"
                : tally.drifting + " drifting"));
    err.flush();
  }

  /** Reconciles one coupon, prints it when it drifted (or always), and returns its JSON report. */
  private Map<String, Object> reconcileOne(
      Reconciler reconciler, long id, Output output, Tally tally, boolean always) {
    CouponCheck check;
    boolean refused = false;
    List<String> actions = List.of();
    CouponCheck after = null;
    Map<String, Object> repairReport = null;
    if (apply) {
      Repair repair = reconciler.repair(id, deep);
      repairReport = repairReportFields(repair);
      check = repair.before();
      actions =
          repair.done().stream()
              .flatMap(d -> ReconcileText.lines(repair.before(), d).stream())
              .toList();
      after = repair.before().consistent() || repair.refused() ? null : repair.after();
      refused = repair.refused();
    } else {
      check = reconciler.check(id, deep);
    }
    tally.count(check, after, refused);
    if (check.consistent() && check.findings().isEmpty() && !always) {
      return null;
    }
    printForPeople(output, check, actions, after, refused);
    Map<String, Object> report = new java.util.LinkedHashMap<>();
    report.put("couponId", id);
    report.put("result", result(check, after, refused));
    report.put("redis", check.live().map(ReconcileCommand::redisFields).orElse(null));
    report.put(
        "mysql",
        Output.fields("accepted", check.rows().accepted(), "reversed", check.rows().reversed()));
    report.put(
        "expected",
        check.expected() == null ? null : ReconcileText.counterFields(check.expected()));
    report.put("drifts", findingFields(check, true));
    report.put("notes", findingFields(check, false));
    if (apply) {
      report.put("repairs", actions);
      report.put("repairReport", repairReport);
      report.put("driftsAfter", after == null ? List.of() : findingFields(after, true));
    }
    return report;
  }

  private static String result(CouponCheck check, CouponCheck after, boolean refused) {
    if (check.consistent()) {
      return "CONSISTENT";
    }
    if (refused) {
      return "REFUSED";
    }
    if (after == null) {
      return "DRIFT";
    }
    return after.consistent() ? "REPAIRED" : "STILL_DRIFTING";
  }

  private void printForPeople(
      Output output, CouponCheck check, List<String> actions, CouponCheck after, boolean refused) {
    String name = check.definition().map(c -> " \"" + c.name() + "\"").orElse("");
    output.say("coupon " + check.couponId() + name + ": " + result(check, after, refused));
    check
        .live()
        .ifPresentOrElse(
            live ->
                output.say(
                    "  redis     "
                        + ReconcileText.counterText(CouponState.countersOf(live))
                        + "; outbox: "
                        + live.pending()
                        + " pending"),
            () -> output.say("  redis     (nothing)"));
    output.say(
        "  mysql     "
            + check
                .definition()
                .map(c -> "total " + c.totalStock() + ", ")
                .orElse("(no definition), ")
            + Human.count(check.rows().accepted(), "accepted row", "accepted rows")
            + ", "
            + Human.count(check.rows().reversed(), "reversed row", "reversed rows"));
    if (check.expected() != null) {
      output.say(
          "  expected  " + ReconcileText.counterText(check.expected()) + " (MySQL rows + outbox)");
    }
    for (Finding finding : check.findings()) {
      output.say(
          (finding.drift() ? "  drift     " : "  note      ")
              + ReconcileText.line(check.couponId(), finding));
    }
    for (String action : actions) {
      output.say("  repair    " + action);
    }
    if (after != null) {
      if (after.consistent()) {
        output.say("  now       consistent");
      }
      for (Finding finding : after.findings()) {
        if (finding.drift()) {
          output.say("  still     " + ReconcileText.line(after.couponId(), finding));
        }
      }
    }
  }

  private static Map<String, Object> redisFields(CouponInspection live) {
    Map<String, Object> fields = ReconcileText.counterFields(CouponState.countersOf(live));
    fields.put("total", live.coupon().definition().totalStock());
    fields.put("version", live.coupon().definition().version());
    fields.put("outboxPending", live.pending());
    fields.put("outboxPendingAccepts", live.pendingAccepts());
    fields.put("outboxPendingReversals", live.pendingReversals());
    fields.put("outboxOldestAgeMs", live.oldestPendingAge().toMillis());
    fields.put("fenced", live.fenced());
    return fields;
  }

  private static List<Map<String, Object>> findingFields(CouponCheck check, boolean drifts) {
    return check.findings().stream()
        .filter(f -> f.drift() == drifts)
        .map(
            f -> {
              Map<String, Object> fields =
                  Output.fields(
                      "kind",
                      f.kind().name(),
                      "cause",
                      ReconcileText.label(f.kind()),
                      "detail",
                      ReconcileText.detail(check.couponId(), f));
              fields.putAll(typedFields(f));
              return fields;
            })
        .toList();
  }

  /** The numbers and ids of a finding, for machines. */
  private static Map<String, Object> typedFields(Finding f) {
    if (f instanceof Finding.NotInMySql n) {
      return Output.fields("stock", n.stock(), "accepted", n.accepted());
    }
    if (f instanceof Finding.RedisLost l) {
      return Output.fields("acceptedRows", l.acceptedRows(), "reversedRows", l.reversedRows());
    }
    if (f instanceof Finding.DefinitionBehind d) {
      return Output.fields(
          "redisVersion", d.redisVersion(),
          "redisTotal", d.redisTotal(),
          "redisStatus", d.redisStatus().name(),
          "mysqlVersion", d.mysqlVersion(),
          "mysqlTotal", d.mysqlTotal(),
          "mysqlStatus", d.mysqlStatus().name());
    }
    if (f instanceof Finding.OutboxNotDrained o) {
      return Output.fields(
          "pending", o.pending(),
          "pendingAccepts", o.accepts(),
          "pendingReversals", o.reversals(),
          "oldestAgeMs", o.oldest().toMillis());
    }
    if (f instanceof Finding.RowsMissingInMySql r) {
      return Output.fields("redemptionIds", r.redemptionIds());
    }
    if (f instanceof Finding.ReversalsMissingInMySql r) {
      return Output.fields("reversalIds", r.redemptionIds());
    }
    if (f instanceof Finding.RecordsMissingInRedis r) {
      return Output.fields("redemptionIds", r.redemptionIds());
    }
    if (f instanceof Finding.ReversalsMissingInRedis r) {
      return Output.fields("reversalIds", r.redemptionIds());
    }
    if (f instanceof Finding.CounterWrong c) {
      return Output.fields(
          "redisCounters",
          ReconcileText.counterFields(c.redis()),
          "truth",
          ReconcileText.counterFields(c.truth()));
    }
    if (f instanceof Finding.Oversold o) {
      return Output.fields("by", o.by(), "accepted", o.accepted(), "total", o.total());
    }
    if (f instanceof Finding.Unsettled u) {
      return Output.fields("reads", u.reads());
    }
    return Output.fields();
  }

  /** What the repair from MySQL found and did, for machines; null when none ran. */
  private static Map<String, Object> repairReportFields(Repair repair) {
    return repair.done().stream()
        .filter(d -> d instanceof Done.Repaired)
        .map(d -> ((Done.Repaired) d).report())
        .findFirst()
        .map(
            r ->
                Output.fields(
                    "restored", r.restored().stream().map(Object::toString).toList(),
                    "reversalsRestored",
                        r.reversalsRestored().stream().map(Object::toString).toList(),
                    "keysRestored", r.keysRestored(),
                    "userCountsFixed", r.userCountsFixed(),
                    "pendingInOutbox", r.pendingInOutbox(),
                    "onlyInRedis", r.onlyInRedis().stream().map(Object::toString).toList(),
                    "contradictions", r.contradictions().size(),
                    "counters", ReconcileText.counterFields(r.counters()),
                    "oversoldBy", r.oversoldBy()))
        .orElse(null);
  }

  /** Counts of one run. */
  private static final class Tally {
    long checked;
    long consistent;
    long drifting;
    long repaired;
    long failed;
    final List<String> failedIds = new ArrayList<>();

    void count(CouponCheck check, CouponCheck after, boolean refused) {
      checked++;
      if (check.consistent()) {
        consistent++;
        return;
      }
      drifting++;
      if (refused) {
        failed++;
        failedIds.add(Long.toString(check.couponId()));
      } else if (after != null) {
        if (after.consistent()) {
          repaired++;
        } else {
          failed++;
          failedIds.add(Long.toString(check.couponId()));
        }
      }
    }

    String summary(boolean apply) {
      String checkedText = "checked " + checked + " coupon" + (checked == 1 ? "" : "s") + ": ";
      if (apply) {
        return checkedText
            + consistent
            + " consistent, "
            + repaired
            + " repaired, "
            + failed
            + " still drifting";
      }
      return checkedText + consistent + " consistent, " + drifting + " drifting";
    }
  }
}
