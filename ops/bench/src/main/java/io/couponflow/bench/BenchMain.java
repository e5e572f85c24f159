package io.couponflow.bench;

import io.couponflow.bench.cluster.ClusterBench;
import io.couponflow.bench.load.LoadTool;
import io.couponflow.bench.preheat.PreheatBench;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.InvariantViolation;
import io.couponflow.bench.scenario.Results;
import io.couponflow.bench.sink.SinkBench;
import io.couponflow.config.Env;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code couponflow-bench}: the benchmark behind {@code ops/dev bench}. Without a subcommand it
 * runs every scenario (S0 to S6, and the references S0-ref and H, S1-launcher and fence) against
 * the gateway's jar, Redis and MySQL of this machine, prints one table and writes it under {@code
 * bench-results/}. Exit 0 when it ran (targets met or not), 1 when an invariant broke (an
 * oversell), 2 on bad usage.
 */
@Command(
    name = "couponflow-bench",
    mixinStandardHelpOptions = true,
    version = "couponflow bench 0.1.0",
    description = "Measure couponflow on this machine against references taken in the same run.",
    subcommands = {
      CommandLine.HelpCommand.class,
      SinkBench.class,
      PreheatBench.class,
      ClusterBench.class
    })
public final class BenchMain implements Callable<Integer> {
  /** The gateway JVM settings the README recommends, and the bench uses unless told otherwise. */
  static final String GATEWAY_JVM =
      "-Xms512m -Xmx512m -Xmn320m -XX:+UseSerialGC -XX:+AlwaysPreTouch";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--scenarios",
      split = ",",
      converter = ScenarioConverter.class,
      description =
          "scenarios to run (default: all of S0,S0-ref,S1,S2,S3,S4,S5,S6,H,S1-launcher,fence)")
  List<Scenario> scenarios;

  @Option(
      names = "--seconds",
      defaultValue = "10",
      description = "length of each measured load (default: ${DEFAULT-VALUE})")
  int seconds;

  @Option(
      names = "--warmup-seconds",
      defaultValue = "15",
      description = "the gateway's warm-up before S1 (default: ${DEFAULT-VALUE})")
  int warmupSeconds;

  @Option(
      names = "--connections",
      defaultValue = "50",
      description = "connections of every load, threads of S2 (default: ${DEFAULT-VALUE})")
  int connections;

  @Option(
      names = "--load",
      defaultValue = "AUTO",
      description =
          "S1/S4 load generator: AUTO (wrk when installed), WRK or JAVA (default: ${DEFAULT-VALUE})")
  LoadTool load;

  @Option(
      names = "--gateway-jvm",
      defaultValue = GATEWAY_JVM,
      description = "options of the gateway's JVM (default: ${DEFAULT-VALUE})")
  String gatewayJvm;

  @Option(
      names = "--gateway-env",
      description = "a COUPON_* variable for the gateway, NAME=VALUE (repeatable)")
  java.util.Map<String, String> gatewayEnv = new java.util.LinkedHashMap<>();

  @Option(
      names = "--jfr",
      description =
          "record the gateway with Java Flight Recorder during S1 (gateway-s1.jfr in the results)")
  boolean jfr;

  @Option(
      names = "--root",
      description = "the couponflow checkout (default: found from this jar's place)")
  Path root;

  @Option(
      names = "--results",
      description = "where to write the table (default: <root>/bench-results)")
  Path results;

  @Option(
      names = "--ref-script",
      description =
          "S0-ref's reference script, which is not in the repository (default:"
              + " <root>/../shared/bench/ref_redeem.lua)")
  Path refScript;

  @Option(
      names = "--redis-server",
      defaultValue = "redis-server",
      description =
          "redis-server for the fence scenario's private Redis (default: ${DEFAULT-VALUE})")
  String redisServer;

  @Option(
      names = "--redis-cli",
      defaultValue = "redis-cli",
      description = "redis-cli that checks the private Redis answers (default: ${DEFAULT-VALUE})")
  String redisCli;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (seconds < 1 || warmupSeconds < 0 || connections < 1) {
      err.println(
          "bench: --seconds and --connections must be at least 1, --warmup-seconds at least 0");
      return 2;
    }
    Path home = root != null ? root : findRoot();
    Path dir = results != null ? results : home.resolve("bench-results");
    String stem =
        "bench-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path runDir = dir.resolve(stem);
    Files.createDirectories(runDir);
    List<String> jvm = split(gatewayJvm);
    Set<Scenario> selected =
        scenarios == null || scenarios.isEmpty()
            ? EnumSet.allOf(Scenario.class)
            : EnumSet.copyOf(scenarios);
    BenchSettings settings =
        new BenchSettings(
            selected,
            Duration.ofSeconds(seconds),
            Duration.ofSeconds(warmupSeconds),
            connections,
            load,
            home.resolve("gateway/target/couponflow-gateway.jar"),
            home.resolve("gateway/bin/couponflow-gateway"),
            List.copyOf(jvm),
            java.util.Map.copyOf(gatewayEnv),
            jfr,
            refScript != null
                ? refScript
                : home.resolve("../shared/bench/ref_redeem.lua").normalize(),
            redisServer,
            redisCli,
            runDir);
    Results results;
    int exit = 0;
    try (BenchEnvironment env = BenchEnvironment.create(Env.system())) {
      BenchRunner runner = new BenchRunner(settings, env, out);
      try {
        results = runner.run();
      } catch (InvariantViolation e) {
        results = runner.results();
        err.println();
        err.println("bench: INVARIANT VIOLATED: " + e.getMessage());
        exit = 1;
      } catch (RuntimeException e) {
        results = runner.results();
        err.println();
        err.println("bench: FAILED: " + e);
        exit = 1;
      }
    }
    Report report = Report.of(results);
    out.println();
    out.print(report.text());
    List<Path> written = report.write(dir, stem);
    out.printf(Locale.ROOT, "%nbench: wrote %s and %s%n", written.get(0), written.get(1));
    out.println(
        report.allMet()
            ? "bench: every target met"
            : "bench: some targets missed (see docs/performance.md for why)");
    out.flush();
    return exit;
  }

  /** The checkout this jar was built in: {@code <root>/ops/bench/target/couponflow-bench.jar}. */
  private static Path findRoot() {
    try {
      Path jar =
          Path.of(BenchMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path candidate = jar.getParent().getParent().getParent().getParent();
      if (Files.isDirectory(candidate.resolve("gateway"))) {
        return candidate;
      }
    } catch (java.net.URISyntaxException | RuntimeException e) {
      // fall through to the working directory
    }
    return Path.of("").toAbsolutePath();
  }

  static List<String> split(String options) {
    List<String> list = new ArrayList<>();
    for (String s : options.trim().split("\\s+")) {
      if (!s.isEmpty()) {
        list.add(s);
      }
    }
    return list;
  }

  /** Scenario names as the report prints them ("S0-ref", "fence"), in any case. */
  static final class ScenarioConverter implements CommandLine.ITypeConverter<Scenario> {
    @Override
    public Scenario convert(String value) {
      try {
        return Scenario.parse(value.trim());
      } catch (IllegalArgumentException e) {
        throw new CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new BenchMain()).setCaseInsensitiveEnumValuesAllowed(true);
    System.exit(cli.execute(args));
  }
}
