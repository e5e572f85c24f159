package io.couponflow.ops;

import io.couponflow.sql.Migrations;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.flywaydb.core.api.output.MigrateResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code coupons db ...}: the MySQL schema. */
@Command(
    name = "db",
    mixinStandardHelpOptions = true,
    description = "Manage the MySQL schema.",
    subcommands = {DbCommand.Migrate.class})
final class DbCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "a db command is required");
  }

  @Command(
      name = "migrate",
      mixinStandardHelpOptions = true,
      description = "Create the database if missing and apply every pending migration from sql/.")
  static final class Migrate implements Callable<Integer> {
    private final OpsContext context;
    private final PrintWriter out;

    @Mixin JsonOption json;

    Migrate(OpsContext context, PrintWriter out) {
      this.context = context;
      this.out = out;
    }

    @Override
    public Integer call() {
      MigrateResult result;
      try {
        result = Migrations.migrate(context.jdbc());
      } catch (RuntimeException e) {
        throw new OpsException(
            "cannot migrate MySQL at "
                + context.jdbc().address()
                + ": "
                + e.getMessage().lines().findFirst().orElse(""));
      }
      new Output(out, json.json)
          .record(
              Output.fields(
                  "database",
                  context.jdbc().database(),
                  "from",
                  result.initialSchemaVersion == null ? "none" : result.initialSchemaVersion,
                  "to",
                  result.targetSchemaVersion == null
                      ? result.initialSchemaVersion
                      : result.targetSchemaVersion,
                  "applied",
                  result.migrationsExecuted));
      return 0;
    }
  }
}
