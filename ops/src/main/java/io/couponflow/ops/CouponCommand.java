package io.couponflow.ops;

import io.couponflow.lua.CouponEvents;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.concurrent.Callable;
import org.apache.ibatis.exceptions.PersistenceException;
import org.apache.ibatis.session.SqlSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code coupons coupon ...}: coupon definitions (MySQL) made live at once (Redis). */
@Command(
    name = "coupon",
    mixinStandardHelpOptions = true,
    description = "Create and manage coupons.",
    subcommands = {CouponCommand.Create.class})
final class CouponCommand {

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
      try (SqlSession session = context.database().sessions().openSession(true)) {
        CouponMapper coupons = session.getMapper(CouponMapper.class);
        if (coupons.findById(id).isPresent()) {
          throw new OpsException("coupon " + id + " already exists");
        }
        coupons.insert(coupon);
      } catch (PersistenceException e) {
        throw new OpsException("cannot write coupon " + id + " to MySQL: " + firstLine(e));
      }
      LoadOutcome loaded = context.functions().load(coupon, 0, 0).join();
      context
          .redis()
          .publish(CouponEvents.channel(context.redis().prefix()), CouponEvents.changed(id))
          .join();
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

  static Instant instant(String option, String value) {
    try {
      return Instant.parse(value);
    } catch (DateTimeParseException e) {
      throw new OpsException(
          option + ": '" + value + "' is not an ISO-8601 UTC instant (e.g. 2026-11-11T00:00:00Z)",
          2);
    }
  }

  static String firstLine(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage()).lines().findFirst().orElse("");
  }
}
