package io.couponflow.preheat;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import io.couponflow.lua.RedisSettings;
import io.couponflow.sql.JdbcSettings;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code java -jar couponflow-preheat.jar}: loads the coupons about to matter into Redis, without
 * touching stock already live, and tells every gateway to warm them. Safe to run at any time and
 * any number of times. Exit 0 all done, 2 partial (retry later), 1 failed.
 */
@Command(
    name = "couponflow-preheat",
    mixinStandardHelpOptions = true,
    version = "couponflow preheat 0.1.0",
    description = {
      "Load hot coupons into Redis and into every gateway's local tier before a sale.",
      "Never resets live stock: a coupon already live in Redis only gets a newer definition,",
      "and a restock made in MySQL is applied as a delta."
    },
    footer = {
      "",
      "Without --coupon or --all-active it loads coupons that are active and not ended, starting",
      "within --window, plus every coupon flagged hot.",
      "Configuration comes from COUPON_* variables (COUPON_REDIS_URI, COUPON_JDBC_URL, ...).",
      "Exit codes: 0 all done, 2 partial (retry later), 1 failed."
    })
public final class PreheatMain implements Callable<Integer> {
  @Option(
      names = "--window",
      defaultValue = "30m",
      description =
          "Load coupons starting within this long from now (e.g. 30m, 2h). Default: ${DEFAULT-VALUE}.")
  String window;

  @Option(
      names = "--coupon",
      paramLabel = "N",
      description = "Load this coupon (repeatable); overrides the selection.")
  List<Long> coupons = new ArrayList<>();

  @Option(names = "--all-active", description = "Load every active coupon that has not ended.")
  boolean allActive;

  @Option(names = "--dry-run", description = "Show what would be loaded; change nothing.")
  boolean dryRun;

  private final Env env;
  private final PrintWriter out;

  PreheatMain(Env env, PrintWriter out) {
    this.env = env;
    this.out = out;
  }

  @Override
  public Integer call() {
    Duration horizon = parseWindow(window);
    Preheat.Selection selection =
        !coupons.isEmpty()
            ? Preheat.Selection.ofIds(coupons)
            : allActive
                ? Preheat.Selection.everyActive()
                : Preheat.Selection.startingWithin(horizon);
    Preheat preheat =
        new Preheat(
            JdbcSettings.from(env),
            RedisSettings.from(env),
            env.duration(
                "COUPON_IDEMPOTENCY_RETENTION",
                Duration.ofHours(24),
                Duration.ofHours(24),
                Duration.ofDays(3650)),
            out);
    Preheat.Summary summary = preheat.run(selection, dryRun);
    out.println(summary.line());
    out.flush();
    return summary.exitCode();
  }

  private static Duration parseWindow(String text) {
    try {
      return Env.of(java.util.Map.of("--window", text))
          .duration("--window", Duration.ofMinutes(30), Duration.ZERO, Duration.ofDays(3650));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  public static void main(String[] args) {
    System.exit(
        run(
            Env.system(),
            new PrintWriter(System.out, true),
            new PrintWriter(System.err, true),
            args));
  }

  /** Runs with the given environment and streams; returns the exit code. */
  public static int run(Env env, PrintWriter out, PrintWriter err, String... args) {
    CommandLine cli = new CommandLine(new PreheatMain(env, out));
    cli.setOut(out);
    cli.setErr(err);
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof IllegalArgumentException || e instanceof ConfigException) {
            err.println("couponflow-preheat: " + e.getMessage());
            return 2;
          }
          err.println("couponflow-preheat: failed: " + e.getMessage());
          return 1;
        });
    return cli.execute(args);
  }
}
