package io.couponflow.testkit;

import io.couponflow.config.JdbcSettings;
import io.couponflow.sql.Database;
import io.couponflow.sql.Migrations;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A database of a test class's own on the test MySQL server, migrated to the current schema and
 * dropped on close.
 */
public final class TestDatabase implements AutoCloseable {
  private final JdbcSettings settings;
  private final Database database;

  private TestDatabase(JdbcSettings settings) {
    this.settings = settings;
    Migrations.migrate(settings);
    this.database = Database.open(settings, "test-" + settings.database());
  }

  public static TestDatabase create(Class<?> testClass) {
    return create(TestSettings.jdbc(), testClass);
  }

  /** On another server (a private one), still with a name of its own. */
  public static TestDatabase create(JdbcSettings server, Class<?> testClass) {
    return new TestDatabase(server.withDatabase(TestSettings.uniqueName(testClass)));
  }

  public JdbcSettings settings() {
    return settings;
  }

  public Database database() {
    return database;
  }

  /** Runs plain SQL (for planting faults and reading state directly). */
  public void execute(String sql) {
    try (Connection c = database.dataSource().getConnection();
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  /** The first column of the first row of a query, as a long. */
  public long queryLong(String sql) {
    try (Connection c = database.dataSource().getConnection();
        Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new IllegalStateException(sql + ": no row");
      }
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  /**
   * The first row of a query, every column as text joined by {@code |} (NULL as {@code null}), so a
   * test can show that a row did not change at all.
   */
  public String queryRow(String sql) {
    try (Connection c = database.dataSource().getConnection();
        Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new IllegalStateException(sql + ": no row");
      }
      StringBuilder row = new StringBuilder();
      for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
        row.append(i > 1 ? "|" : "").append(rs.getString(i));
      }
      return row.toString();
    } catch (SQLException e) {
      throw new IllegalStateException(sql + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    database.close();
    try {
      Database.dropIfExists(settings);
    } catch (SQLException e) {
      // The server may be a private one that a fault test already killed.
    }
  }
}
