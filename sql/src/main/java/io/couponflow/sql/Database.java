package io.couponflow.sql;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.couponflow.config.JdbcSettings;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import javax.sql.DataSource;
import org.apache.ibatis.mapping.Environment;
import org.apache.ibatis.session.Configuration;
import org.apache.ibatis.session.SqlSessionFactory;
import org.apache.ibatis.session.SqlSessionFactoryBuilder;
import org.apache.ibatis.transaction.jdbc.JdbcTransactionFactory;

/**
 * The MySQL side of a process: a HikariCP pool and a MyBatis session factory with every mapper of
 * this module registered.
 *
 * <p>Thread-safety: safe for use by many threads, like the pool and factory it holds.
 */
public final class Database implements AutoCloseable {
  private final JdbcSettings settings;
  private final HikariDataSource dataSource;
  private final SqlSessionFactory sessions;

  private Database(JdbcSettings settings, HikariDataSource dataSource) {
    this.settings = settings;
    this.dataSource = dataSource;
    Configuration configuration =
        new Configuration(new Environment("couponflow", new JdbcTransactionFactory(), dataSource));
    configuration.setMapUnderscoreToCamelCase(true);
    configuration.getTypeHandlerRegistry().register(Instant.class, new UtcInstantTypeHandler());
    configuration.setDefaultStatementTimeout(
        (int) Math.max(1, settings.connectTimeout().toSeconds() * 10));
    configuration.addMapper(CouponMapper.class);
    configuration.addMapper(RedemptionMapper.class);
    configuration.addMapper(DeadLetterMapper.class);
    this.sessions = new SqlSessionFactoryBuilder().build(configuration);
  }

  /**
   * Drops the database {@code settings} name, if it exists, over one plain connection to the server
   * (no pool): for the throwaway databases of tests and benchmarks.
   */
  public static void dropIfExists(JdbcSettings settings) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(
                settings.withDatabase("").url(), settings.user(), settings.password());
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS `" + settings.database() + "`");
    }
  }

  /**
   * Opens the pool without waiting for MySQL: a process that must keep working through a MySQL
   * outage starts even when MySQL is down, and its first query fails instead.
   */
  public static Database open(JdbcSettings settings, String poolName) {
    return new Database(settings, new HikariDataSource(hikari(settings, poolName, false)));
  }

  static HikariConfig hikari(JdbcSettings settings, String poolName, boolean createDatabase) {
    HikariConfig config = new HikariConfig();
    config.setPoolName(poolName);
    config.setJdbcUrl(settings.url());
    config.setUsername(settings.user());
    config.setPassword(settings.password());
    config.setMaximumPoolSize(settings.poolSize());
    config.setMinimumIdle(1);
    config.setConnectionTimeout(settings.connectTimeout().toMillis());
    config.setValidationTimeout(Math.max(250, settings.connectTimeout().toMillis() / 2));
    config.setInitializationFailTimeout(-1);
    config.setAutoCommit(true);
    // Timestamps are UTC on the wire and in the session, whatever the JVM's zone is.
    config.addDataSourceProperty("connectionTimeZone", "UTC");
    config.addDataSourceProperty("forceConnectionTimeZoneToSession", "true");
    // Lets the driver turn a JDBC batch into multi-row INSERTs.
    config.addDataSourceProperty("rewriteBatchedStatements", "true");
    config.addDataSourceProperty("cachePrepStmts", "true");
    config.addDataSourceProperty("prepStmtCacheSize", "64");
    config.addDataSourceProperty(
        "connectTimeout", String.valueOf(settings.connectTimeout().toMillis()));
    config.addDataSourceProperty(
        "socketTimeout", String.valueOf(Math.max(5_000, settings.connectTimeout().toMillis() * 3)));
    config.addDataSourceProperty("allowPublicKeyRetrieval", "true");
    if (createDatabase) {
      config.addDataSourceProperty("createDatabaseIfNotExist", "true");
    }
    return config;
  }

  public SqlSessionFactory sessions() {
    return sessions;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public JdbcSettings settings() {
    return settings;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
