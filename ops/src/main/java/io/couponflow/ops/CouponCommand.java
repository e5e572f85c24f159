package io.couponflow.ops;

import io.couponflow.core.admin.CouponAdmin;
import io.couponflow.core.admin.CreateOutcome;
import io.couponflow.core.admin.RestockOutcome;
import io.couponflow.core.admin.StatusOutcome;
import io.couponflow.lua.CouponInspection;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.ops.reconcile.CouponCheck;
import io.couponflow.ops.reconcile.Finding;
import io.couponflow.ops.reconcile.Reconciler;
import io.couponflow.sql.CouponMapper;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import org.apache.ibatis.exceptions.PersistenceException;
import org.apache.ibatis.session.SqlSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code coupons coupon ...}: coupon definitions (MySQL) made live at once (Redis). The changes are
 * core's use cases ({@link CouponAdmin}); this class parses the command lines and renders the
 * outcomes.
 */
@Command(
    name = "coupon",
    mixinStandardHelpOptions = true,
    description = "Create and manage coupons.",
    subcommands = {
      CouponCommand.Create.class,
      CouponCommand.Show.class,
      CouponCommand.ListCoupons.class,
      CouponCommand.Pause.class,
      CouponCommand.Resume.class,
      CouponCommand.Restock.class
    })
final class CouponCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a coupon command is required");
  }

  @Command(
      name = "create",
      mixinStandardHelpOptions = true,
      description = {
        "Define a coupon in MySQL and make it live in Redis at once (no preheat needed).",
        "Times are ISO-8601 UTC instants, e.g. 2026-11-11T00:00:00Z."
      })
  static final class Create implements Callable<Integer> {
    private final OpsContext context;
    private final PrintWriter out;

    @Option(names = "--id", required = true, description = "Coupon id, a positive 64-bit integer.")
    long id;

    @Option(names = "--name", required = true, description = "Display name (1-200 characters).")
    String name;

    @Option(names = "--stock", required = true, description = "Total stock (>= 0).")
    long stock;

    @Option(
        names = "--per-user",
        required = true,
        description = "Redemptions one user may hold (>= 1).")
    int perUser;

    @Option(
        names = "--threshold-cents",
        required = true,
        description = "Minimum order amount in cents (>= 0).")
    long thresholdCents;

    @Option(names = "--discount-cents", required = true, description = "Discount in cents (> 0).")
    long discountCents;

    @Option(
        names = "--starts-at",
        required = true,
        description = "First instant redemptions are accepted.")
    String startsAt;

    @Option(names = "--ends-at", required = true, description = "First instant they no longer are.")
    String endsAt;

    @Option(names = "--paused", description = "Create it PAUSED instead of ACTIVE.")
    boolean paused;

    @Option(names = "--hot", description = "Flag it hot, so every preheat run loads it.")
    boolean hot;

    @Mixin JsonOption json;

    Create(OpsContext context, PrintWriter out) {
      this.context = context;
      this.out = out;
    }

    @Override
    public Integer call() {
      Coupon coupon;
      try {
        coupon =
            new Coupon(
                id,
                name,
                stock,
                perUser,
                thresholdCents,
                discountCents,
                instant("--starts-at", startsAt),
                instant("--ends-at", endsAt),
                paused ? CouponStatus.PAUSED : CouponStatus.ACTIVE,
                hot,
                Coupon.bucketsFor(stock),
                1);
      } catch (IllegalArgumentException e) {
        throw new OpsException(e.getMessage(), 2);
      }
      // Redis must answer before MySQL changes, so that an unreachable Redis changes nothing.
      CouponAdmin admin = context.admin();
      CreateOutcome outcome;
      try {
        outcome = admin.create(context.operator(), coupon);
      } catch (PersistenceException e) {
        throw new OpsException(
            "cannot write coupon " + id + " to MySQL: " + OpsException.rootLine(e));
      }
      if (outcome instanceof CreateOutcome.AlreadyExists) {
        throw new OpsException("coupon " + id + " already exists");
      }
      if (outcome instanceof CreateOutcome.RefusedByRedis refused) {
        throw new OpsException("Redis refused coupon " + id + ": " + refused.reason());
      }
      LoadOutcome loaded = ((CreateOutcome.Created) outcome).redis();
      new Output(out, json.json)
          .record(
              Output.fields(
                  "couponId", coupon.couponId(),
                  "name", coupon.name(),
                  "totalStock", coupon.totalStock(),
                  "perUserLimit", coupon.perUserLimit(),
                  "thresholdCents", coupon.thresholdCents(),
                  "discountCents", coupon.discountCents(),
                  "startsAt", coupon.startsAt().toString(),
                  "endsAt", coupon.endsAt().toString(),
                  "status", coupon.status().name(),
                  "redis", loaded.getClass().getSimpleName().toUpperCase(java.util.Locale.ROOT)));
      return 0;
    }
  }

  @Command(
      name = "show",
      mixinStandardHelpOptions = true,
      description = {
        "Show one coupon: its definition (MySQL), live stock, accepted and reversed counts"
            + " (Redis), the outbox, MySQL's rows, and whether Redis and MySQL agree (what"
            + " 'coupons reconcile --coupon N' would say).",
        ""
      })
  static final class Show implements Callable<Integer> {
    private final OpsContext context;
    private final PrintWriter out;

    @Parameters(paramLabel = "N", description = "The coupon id.")
    long id;

    @Mixin JsonOption json;

    Show(OpsContext context, PrintWriter out) {
      this.context = context;
      this.out = out;
    }

    @Override
    public Integer call() {
      Coupon coupon = context.requireCoupon(id);
      CouponCheck check =
          new Reconciler(
                  context.database(), context.functions(), context.writer(), Duration.ofSeconds(10))
              .check(id, false);
      Map<String, Object> fields = definition(coupon);
      Optional<CouponInspection> live = check.live();
      fields.put("live", live.isPresent());
      fields.put(
          "redisStatus", live.map(i -> i.coupon().definition().status().name()).orElse(null));
      fields.put("redisVersion", live.map(i -> i.coupon().definition().version()).orElse(null));
      fields.put("remainingStock", live.map(i -> i.coupon().stock()).orElse(null));
      fields.put("accepted", live.map(i -> i.coupon().accepted()).orElse(null));
      fields.put("reversed", live.map(i -> i.coupon().reversed()).orElse(null));
      fields.put("outboxPending", live.map(CouponInspection::pending).orElse(null));
      fields.put("outboxOldestAgeMs", live.map(i -> i.oldestPendingAge().toMillis()).orElse(null));
      fields.put("mysqlAcceptedRows", check.rows().accepted());
      fields.put("mysqlReversedRows", check.rows().reversed());
      Output output = new Output(out, json.json);
      if (output.json()) {
        fields.put("agree", check.consistent());
        fields.put(
            "drifts",
            check.findings().stream()
                .map(
                    f ->
                        Output.fields(
                            "kind", f.kind().name(), "detail", ReconcileText.detail(id, f)))
                .toList());
        output.record(fields);
      } else {
        fields.put("agree", check.consistent() ? "yes" : "no");
        output.record(fields);
        for (Finding finding : check.findings()) {
          output.say("  drift: " + ReconcileText.line(id, finding));
        }
      }
      return 0;
    }
  }

  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = {
        "List coupons in id order: definition from MySQL, remaining stock from Redis"
            + " ('-' when Redis does not hold the coupon).",
        ""
      })
  static final class ListCoupons implements Callable<Integer> {
    private final OpsContext context;
    private final PrintWriter out;

    @Option(
        names = "--after",
        paramLabel = "ID",
        defaultValue = "0",
        description = "Start after this coupon id (for paging).")
    long after;

    @Option(
        names = "--limit",
        paramLabel = "N",
        defaultValue = "100",
        description = "Most coupons listed (default: ${DEFAULT-VALUE}, at most 10000).")
    int limit;

    @Mixin JsonOption json;

    ListCoupons(OpsContext context, PrintWriter out) {
      this.context = context;
      this.out = out;
    }

    @Override
    public Integer call() {
      if (limit < 1 || limit > 10_000) {
        throw new OpsException("--limit: " + limit + " (expected: 1..10000)", 2);
      }
      if (after < 0) {
        throw new OpsException("--after: " + after + " (expected: >= 0)", 2);
      }
      List<Coupon> page;
      try (SqlSession session = context.database().sessions().openSession(true)) {
        page = session.getMapper(CouponMapper.class).page(after, limit);
      }
      List<CompletableFuture<Optional<LiveCoupon>>> live = new ArrayList<>();
      for (Coupon c : page) {
        live.add(context.functions().coupon(c.couponId()));
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      for (int i = 0; i < page.size(); i++) {
        Coupon c = page.get(i);
        Optional<LiveCoupon> l = OpsContext.await(live.get(i));
        rows.add(
            Output.fields(
                "id", c.couponId(),
                "name", c.name(),
                "status", c.status().name(),
                "total", c.totalStock(),
                "remaining", l.map(LiveCoupon::stock).orElse(null),
                "accepted", l.map(LiveCoupon::accepted).orElse(null),
                "startsAt", c.startsAt().toString(),
                "endsAt", c.endsAt().toString()));
      }
      Output output = new Output(out, json.json);
      output.table(
          rows,
          List.of("id", "name", "status", "total", "remaining", "accepted", "startsAt", "endsAt"));
      if (page.size() == limit) {
        output.say(
            "(more: coupons coupon list --after " + page.get(page.size() - 1).couponId() + ")");
      }
      return 0;
    }
  }

  /** Pause and resume: MySQL first (the version grows), then Redis with that version. */
  abstract static class StatusChange implements Callable<Integer> {
    private final OpsContext context;
    private final PrintWriter out;
    private final CouponStatus target;

    @Parameters(paramLabel = "N", description = "The coupon id.")
    long id;

    @Mixin JsonOption json;

    StatusChange(OpsContext context, PrintWriter out, CouponStatus target) {
      this.context = context;
      this.out = out;
      this.target = target;
    }

    @Override
    public Integer call() {
      // Redis must answer before MySQL changes, so that an unreachable Redis changes nothing.
      CouponAdmin admin = context.admin();
      StatusOutcome outcome = admin.setStatus(context.operator(), id, target);
      if (outcome instanceof StatusOutcome.NotFound) {
        throw new OpsException("coupon " + id + " does not exist");
      }
      if (outcome instanceof StatusOutcome.KeepsChanging) {
        throw new OpsException("coupon " + id + " keeps changing in MySQL; try again");
      }
      StatusOutcome.Done done = (StatusOutcome.Done) outcome;
      new Output(out, json.json)
          .record(
              Output.fields(
                  "couponId", id,
                  "status", done.after().status().name(),
                  "version", done.after().version(),
                  "changed", done.changed(),
                  "redis",
                      done.redis()
                          .map(CouponStatus::name)
                          .orElse("NOT_LIVE (loaded with this status when first needed)")));
      return 0;
    }
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      description = {
        "Stop redemptions of a coupon at once: PAUSED in MySQL (new version), then in Redis"
            + " (cf_pause), then every gateway is told. Already paused: nothing changes.",
        ""
      })
  static final class Pause extends StatusChange {
    Pause(OpsContext context, PrintWriter out) {
      super(context, out, CouponStatus.PAUSED);
    }
  }

  @Command(
      name = "resume",
      mixinStandardHelpOptions = true,
      description = {
        "Let redemptions of a paused coupon go on: ACTIVE in MySQL (new version), then in Redis"
            + " (cf_resume), then every gateway is told. Already active: nothing changes.",
        ""
      })
  static final class Resume extends StatusChange {
    Resume(OpsContext context, PrintWriter out) {
      super(context, out, CouponStatus.ACTIVE);
    }
  }

  @Command(
      name = "restock",
      mixinStandardHelpOptions = true,
      description = {
        "Add stock to a live coupon: total stock grows in MySQL (new version, one transaction),"
            + " then Redis applies the same delta to the remaining stock (cf_load). What was"
            + " already redeemed is never reset.",
        "A total past 9007199254740991 (2^53 - 1, the largest stock Redis holds exactly) is"
            + " refused and changes nothing. When MySQL took the restock but Redis did not, the"
            + " command says so and exits 1: then run 'coupons reconcile --coupon N --apply' (or"
            + " a preheat of the coupon), not restock again.",
        ""
      })
  static final class Restock implements Callable<Integer> {
    private final OpsContext context;
    private final PrintWriter out;

    @Parameters(paramLabel = "N", description = "The coupon id.")
    long id;

    @Option(
        names = "--add",
        paramLabel = "K",
        required = true,
        description = "Units of stock to add (1..1000000000).")
    long add;

    @Mixin JsonOption json;

    Restock(OpsContext context, PrintWriter out) {
      this.context = context;
      this.out = out;
    }

    @Override
    public Integer call() {
      if (add < 1 || add > CouponAdmin.MAX_RESTOCK) {
        throw new OpsException(
            "--add: " + add + " (expected: 1.." + CouponAdmin.MAX_RESTOCK + ")", 2);
      }
      // Redis must answer before MySQL changes, so that an unreachable Redis changes nothing.
      CouponAdmin admin = context.admin();
      RestockOutcome outcome;
      try {
        outcome = admin.restock(context.operator(), id, add);
      } catch (PersistenceException e) {
        throw new OpsException(
            "cannot restock coupon " + id + " in MySQL: " + OpsException.rootLine(e));
      }
      if (outcome instanceof RestockOutcome.NotFound) {
        throw new OpsException("coupon " + id + " does not exist");
      }
      if (outcome instanceof RestockOutcome.WouldPassMax max) {
        throw new OpsException(
            "coupon "
                + id
                + ": total stock "
                + max.totalStock()
                + " + "
                + add
                + " would pass "
                + Coupon.MAX_NUMBER
                + ", the largest stock Redis holds exactly; nothing changed");
      }
      if (outcome instanceof RestockOutcome.NotInRedisYet failed) {
        throw notInRedisYet(failed.after(), OpsException.rootLine(failed.failure()));
      }
      if (outcome instanceof RestockOutcome.RefusedByRedis refused) {
        throw new OpsException(
            inMySqlOnly(refused.after())
                + " but Redis refused it ("
                + refused.reason()
                + ") and keeps the definition it had");
      }
      RestockOutcome.Restocked done = (RestockOutcome.Restocked) outcome;
      String redis;
      Long remaining = null;
      Optional<LoadOutcome> loaded = done.redis();
      if (loaded.isEmpty()) {
        redis = "NOT_LIVE (loaded with the new total when first needed)";
      } else if (loaded.get() instanceof LoadOutcome.Updated updated) {
        redis = "UPDATED (+" + updated.restockDelta() + ")";
        remaining = updated.stock();
      } else if (loaded.get() instanceof LoadOutcome.Created created) {
        redis = "CREATED";
        remaining = created.stock();
      } else {
        LoadOutcome.Unchanged unchanged = (LoadOutcome.Unchanged) loaded.get();
        redis = "UNCHANGED (Redis holds version " + unchanged.liveVersion() + ")";
        remaining = unchanged.stock();
      }
      if (done.notTold().isPresent()) {
        // The restock is complete; a failure to exit 0 would invite running it again.
        redis +=
            "; gateways not told ("
                + OpsException.rootLine(done.notTold().get())
                + "), they refresh within COUPON_CACHE_REFRESH";
      }
      Coupon restocked = done.after();
      new Output(out, json.json)
          .record(
              Output.fields(
                  "couponId", id,
                  "added", add,
                  "totalStock", restocked.totalStock(),
                  "remainingStock", remaining,
                  "version", restocked.version(),
                  "redis", redis));
      return 0;
    }

    private String inMySqlOnly(Coupon restocked) {
      return "coupon "
          + id
          + ": MySQL now has total stock "
          + restocked.totalStock()
          + " (version "
          + restocked.version()
          + ")";
    }

    /** MySQL committed the restock, Redis did not take it: says so, and what applies it. */
    private OpsException notInRedisYet(Coupon restocked, String why) {
      return new OpsException(
          inMySqlOnly(restocked)
              + ", Redis not yet ("
              + why
              + "): run 'coupons reconcile --coupon "
              + id
              + " --apply' or 'couponflow-preheat --coupon "
              + id
              + "' to apply it");
    }
  }

  /** The definition's fields, in the order people read them. */
  static Map<String, Object> definition(Coupon coupon) {
    return Output.fields(
        "couponId", coupon.couponId(),
        "name", coupon.name(),
        "status", coupon.status().name(),
        "totalStock", coupon.totalStock(),
        "perUserLimit", coupon.perUserLimit(),
        "thresholdCents", coupon.thresholdCents(),
        "discountCents", coupon.discountCents(),
        "startsAt", coupon.startsAt().toString(),
        "endsAt", coupon.endsAt().toString(),
        "hot", coupon.hot(),
        "buckets", coupon.buckets(),
        "version", coupon.version());
  }

  static Instant instant(String option, String value) {
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new OpsException(
          option + ": '" + value + "' is not an ISO-8601 UTC instant (e.g. 2026-11-11T00:00:00Z)",
          2);
    }
  }
}
