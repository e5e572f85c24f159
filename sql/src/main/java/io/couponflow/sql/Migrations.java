package io.couponflow.sql;

import com.zaxxer.hikari.HikariDataSource;
import io.couponflow.config.JdbcSettings;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * The schema's migrations (Flyway, from {@code db/migration} in this module) and its version check.
 */
public final class Migrations {
  private Migrations() {}

  /** Creates the database when missing and applies every pending migration. */
  public static MigrateResult migrate(JdbcSettings settings) {
    try (HikariDataSource dataSource =
        new HikariDataSource(Database.hikari(settings, "couponflow-migrate", true))) {
      return flyway(dataSource).migrate();
    }
  }

  /** The schema version the database is at, or "none". */
  public static String currentVersion(DataSource dataSource) {
    return currentVersion(flyway(dataSource).info());
  }

  private static String currentVersion(MigrationInfoService migrations) {
    return Optional.ofNullable(migrations.current())
        .map(info -> info.getVersion().getVersion())
        .orElse("none");
  }

  /**
   * Refuses to go on when the database is behind this build.
   *
   * @throws SchemaBehindException naming the versions and the command that fixes it
   */
  public static void requireCurrent(DataSource dataSource) {
    MigrationInfoService migrations = flyway(dataSource).info();
    MigrationInfo[] pending = migrations.pending();
    if (pending.length > 0) {
      throw new SchemaBehindException(
          "the MySQL schema is behind this build (database at version "
              + currentVersion(migrations)
              + ", this build needs "
              + pending[pending.length - 1].getVersion().getVersion()
              + "); run: ops/coupons db migrate");
    }
  }

  private static Flyway flyway(DataSource dataSource) {
    return Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration")
        .failOnMissingLocations(true)
        .load();
  }

  /** The database's schema is older than the code that wants to use it. */
  public static final class SchemaBehindException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    SchemaBehindException(String message) {
      super(message);
    }
  }
}
