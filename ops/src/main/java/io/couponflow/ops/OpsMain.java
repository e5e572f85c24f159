package io.couponflow.ops;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ops/coupons}: the operator CLI. Every command talks to MySQL and Redis through the same
 * mappers and Lua functions as the gateway. Failures print one line on stderr and exit non-zero.
 */
@Command(
    name = "coupons",
    mixinStandardHelpOptions = true,
    version = "couponflow ops 0.1.0",
    description = "Operate couponflow: coupons, reversals, reconciliation and the outbox.",
    subcommands = {
      DbCommand.class,
      CouponCommand.class,
      ReverseCommand.class,
      ReconcileCommand.class,
      OutboxCommand.class,
      CommandLine.HelpCommand.class
    },
    footer = {
      "",
      "Configuration comes from COUPON_* variables (COUPON_REDIS_URI, COUPON_JDBC_URL, ...); see the README.",
      "Exit codes: 0 done, 1 failed, 2 bad usage, 3 drift found (reconcile dry run)."
    })
public final class OpsMain implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
  }

  public static void main(String[] args) {
    System.exit(
        run(
            Env.system(),
            new PrintWriter(System.out, true),
            new PrintWriter(System.err, true),
            args));
  }

  /** Runs one command line and returns its exit code (tests call this directly). */
  public static int run(Env env, PrintWriter out, PrintWriter err, String... args) {
    try {
      env.logLevel("WARN");
    } catch (ConfigException e) {
      err.println("coupons: " + e.getMessage());
      return 2;
    }
    try (OpsContext context = new OpsContext(env)) {
      CommandLine cli = new CommandLine(new OpsMain(), new ContextFactory(context, out, err));
      cli.setOut(out);
      cli.setErr(err);
      cli.setParameterExceptionHandler(
          (e, arguments) -> {
            CommandLine failed = e.getCommandLine();
            err.println(
                "coupons: "
                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("")
                    + " (see '"
                    + failed.getCommandSpec().qualifiedName()
                    + " --help')");
            err.flush();
            return 2;
          });
      cli.setExecutionExceptionHandler(
          (e, commandLine, parseResult) -> {
            Throwable cause = e;
            err.flush();
            if (cause instanceof OpsException ops) {
              err.println("coupons: " + ops.getMessage());
              return ops.exitCode();
            }
            if (cause instanceof ConfigException config) {
              err.println("coupons: " + config.getMessage());
              return 2;
            }
            err.println("coupons: " + oneLine(cause));
            return 1;
          });
      return cli.execute(args);
    }
  }

  private static String oneLine(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message =
        root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    return message.lines().findFirst().orElse(message);
  }

  /**
   * Hands each command the shared context and output streams: a command takes {@code (OpsContext,
   * PrintWriter out, PrintWriter err)} or {@code (OpsContext, PrintWriter out)}.
   */
  private record ContextFactory(OpsContext context, PrintWriter out, PrintWriter err)
      implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> cls) throws Exception {
      try {
        return cls.getDeclaredConstructor(OpsContext.class, PrintWriter.class, PrintWriter.class)
            .newInstance(context, out, err);
      } catch (NoSuchMethodException e) {
        try {
          return cls.getDeclaredConstructor(OpsContext.class, PrintWriter.class)
              .newInstance(context, out);
        } catch (NoSuchMethodException again) {
          return CommandLine.defaultFactory().create(cls);
        }
      }
    }
  }
}
