package io.couponflow.preheat;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
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
    sortOptions = false,
    version = "couponflow preheat 0.1.0",
    description = {
      "Load the coupons about to matter into Redis and into every gateway's local tier. Never"
          + " resets live stock, user counts or idempotency records: a coupon already live in"
          + " Redis only gets a newer definition, and a restock made in MySQL is applied once, as"
          + " a delta. Safe to run at any time, any number of times, during live traffic.",
      ""
    },
    footer = {
      "",
      "Selection: without --coupon or --all-active, the coupons that are active, not ended and"
          + " start within --window (already started ones included), plus every coupon flagged"
          + " hot that has not ended.",
      "",
      "MySQL unreachable: the run reads the last good snapshot instead (written after every"
          + " successful run that was not --coupon or --dry-run). A snapshot refreshes coupons"
          + " Redis already holds but never creates one, because its redemption counts may be"
          + " stale. Redis unreachable: the run stops where it is.",
      "",
      "Configuration: COUPON_REDIS_URI, COUPON_REDIS_PREFIX, COUPON_JDBC_URL, COUPON_JDBC_USER,"
          + " COUPON_JDBC_PASSWORD, COUPON_PREHEAT_SNAPSHOT, COUPON_PREHEAT_BATCH,"
          + " COUPON_PREHEAT_ATTEMPTS, COUPON_PREHEAT_RETRY_WAIT (see the README).",
      "",
      "Output: a progress bar on a terminal, progress lines in the log otherwise, then one"
          + " summary line: loaded, already_live, updated, restocked, failed, source, duration,"
          + " result.",
      "",
      "Exit codes: 0 all done; 2 partial, retry later (Redis unreachable, the snapshot stood in"
          + " for MySQL, or some coupons were not loaded or invalid); 1 failed (nothing could be read, the"
          + " schema is behind, or a bad option or variable)."
    })
public final class PreheatMain implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(PreheatMain.class);

  @Option(
      names = "--window",
      paramLabel = "DURATION",
      defaultValue = "30m",
      description =
          "Load coupons that start within this long from now (30m, 2h, 1d, PT45M)."
              + " Default: ${DEFAULT-VALUE}.")
  String window;

  @Option(
      names = "--coupon",
      paramLabel = "N",
      description =
          "Load this coupon, whatever its window (repeatable: --coupon 1 --coupon 2)."
              + " Replaces the window selection.")
  List<Long> coupons = new ArrayList<>();

  @Option(
      names = "--all-active",
      description = "Load every active coupon that has not ended, whatever its start.")
  boolean allActive;

  @Option(
      names = "--dry-run",
      description =
          "Show what each selected coupon would get (create, already live, update, restock);"
              + " change nothing in Redis and write no snapshot.")
  boolean dryRun;

  @Option(
      names = "--metrics-file",
      paramLabel = "PATH",
      description =
          "Also write the summary as Prometheus text to PATH (replaced atomically), for a"
              + " node-exporter textfile collector; name it *.prom.")
  Path metricsFile;

  @Option(
      names = "--snapshot",
      paramLabel = "PATH",
      description =
          "The last good snapshot: written after each successful run, read when MySQL is"
              + " unreachable. Default: COUPON_PREHEAT_SNAPSHOT, else "
              + PreheatSettings.DEFAULT_SNAPSHOT
              + ".")
  Path snapshot;

  private final Env env;
  private final PrintWriter out;
  private final boolean terminal;

  PreheatMain(Env env, PrintWriter out, boolean terminal) {
    this.env = env;
    this.out = out;
    this.terminal = terminal;
  }

  @Override
  public Integer call() {
    if (!coupons.isEmpty() && allActive) {
      throw new IllegalArgumentException("use either --coupon or --all-active, not both");
    }
    Selection selection =
        !coupons.isEmpty()
            ? Selection.ofIds(coupons)
            : allActive ? Selection.everyActive() : Selection.startingWithin(parseWindow(window));
    PreheatSettings settings = PreheatSettings.from(env);
    if (snapshot != null) {
      settings = settings.withSnapshot(snapshot);
    }
    log.info("Preheating {}{}", selection.describe(), dryRun ? " (dry run)" : "");
    Preheat preheat = new Preheat(settings, out, Progress.of(terminal && !dryRun, out));
    Summary summary = preheat.run(selection, dryRun);
    out.println(summary.line());
    out.flush();
    if (metricsFile != null) {
      MetricsFile.write(metricsFile, summary, Instant.now());
    }
    return summary.exitCode();
  }

  private static Duration parseWindow(String text) {
    return Env.of(Map.of("--window", text))
        .duration("--window", Duration.ofMinutes(30), Duration.ZERO, Duration.ofDays(3650));
  }

  public static void main(String[] args) {
    System.exit(
        run(
            Env.system(),
            new PrintWriter(System.out, true),
            new PrintWriter(System.err, true),
            System.console() != null,
            args));
  }

  /**
   * Runs with the given environment and streams; returns the exit code.
   *
   * @param terminal whether {@code out} is a terminal (a progress bar instead of log lines)
   */
  public static int run(
      Env env, PrintWriter out, PrintWriter err, boolean terminal, String... args) {
    CommandLine cli = new CommandLine(new PreheatMain(env, out, terminal));
    cli.setOut(out);
    cli.setErr(err);
    cli.setParameterExceptionHandler(
        (e, params) -> {
          err.println("couponflow-preheat: " + e.getMessage());
          err.println("Try --help.");
          err.flush();
          return 1;
        });
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof IllegalArgumentException || e instanceof ConfigException) {
            err.println("couponflow-preheat: " + e.getMessage());
          } else {
            err.println("couponflow-preheat: failed: " + e);
          }
          err.flush();
          return 1;
        });
    return cli.execute(args);
  }
}
