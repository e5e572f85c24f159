package io.couponflow.sql;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.config.JdbcSettings;
import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransactionRollbackException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import org.apache.ibatis.exceptions.PersistenceException;
import org.junit.jupiter.api.Test;

/** One test per rule of the one MySQL failure classifier, with the exceptions drivers raise. */
class MySqlFailuresTest {
  private static final JdbcSettings JDBC =
      new JdbcSettings(
          "jdbc:mysql://db.example:3306/couponflow", "app", "secret", 4, Duration.ofSeconds(3));

  /** As MyBatis hands a failure to its caller. */
  private static RuntimeException mapped(Throwable cause) {
    return new PersistenceException("### Error querying database. Cause: " + cause, cause);
  }

  @Test
  void isOutage_transientRecoverableAndTimeoutKinds_areOutages() {
    assertThat(MySqlFailures.isOutage(new SQLTransientConnectionException("pool timed out")))
        .isTrue();
    assertThat(MySqlFailures.isOutage(new SQLRecoverableException("connection lost"))).isTrue();
    assertThat(MySqlFailures.isOutage(new SQLTimeoutException("statement timeout"))).isTrue();
    assertThat(MySqlFailures.isOutage(new SQLTransactionRollbackException("rolled back"))).isTrue();
  }

  @Test
  void isOutage_connectionAndRollbackStates_andTimeoutState_areOutages() {
    assertThat(MySqlFailures.isOutage(new SQLNonTransientConnectionException("gone", "08S01")))
        .isTrue();
    assertThat(MySqlFailures.isOutage(new SQLException("refused", "08001", 0))).isTrue();
    assertThat(MySqlFailures.isOutage(new SQLException("deadlock", "40001", 0))).isTrue();
    assertThat(MySqlFailures.isOutage(new SQLException("timeout", "HYT00", 0))).isTrue();
  }

  @Test
  void isOutage_lockWaitDeadlockReadOnlyAndTooManyConnections_areOutages() {
    for (int code : new int[] {1205, 1213, 1290, 1040}) {
      assertThat(MySqlFailures.isOutage(new SQLException("error " + code, "HY000", code)))
          .as("error %d", code)
          .isTrue();
    }
  }

  @Test
  void isOutage_anSqlExceptionWithoutStateOrCode_isAnOutage() {
    assertThat(MySqlFailures.isOutage(new SQLException("Connection is closed"))).isTrue();
  }

  @Test
  void isOutage_aRowOrStatementMySqlRefuses_isNoOutage() {
    assertThat(
            MySqlFailures.isOutage(
                new SQLIntegrityConstraintViolationException("duplicate", "23000", 1062)))
        .isFalse();
    assertThat(MySqlFailures.isOutage(new SQLSyntaxErrorException("syntax", "42000", 1064)))
        .isFalse();
    assertThat(MySqlFailures.isOutage(new SQLException("check constraint", "HY000", 3819)))
        .isFalse();
    assertThat(MySqlFailures.isOutage(new SQLException("unknown database", "42000", 1049)))
        .isFalse();
  }

  @Test
  void isOutage_aMappingBugOrACorruptRow_withoutAnySqlException_isNoOutage() {
    IllegalArgumentException corrupt = new IllegalArgumentException("name: must not be blank");

    assertThat(MySqlFailures.isOutage(corrupt)).isFalse();
    assertThat(MySqlFailures.isOutage(mapped(corrupt))).isFalse();
    assertThat(MySqlFailures.isOutage(new NullPointerException())).isFalse();
  }

  @Test
  void isOutage_looksThroughWrappers_toTheFirstSqlException() {
    assertThat(MySqlFailures.isOutage(mapped(new SQLTransientConnectionException("pool"))))
        .isTrue();
    assertThat(
            MySqlFailures.isOutage(
                mapped(
                    new BatchUpdateException(
                        "batch", "23000", 1062, new int[0], new SQLException("x", "08S01")))))
        .as("the outermost SQLException decides: a refused row, not its cause")
        .isFalse();
  }

  @Test
  void isDeadlock_byCodeOrState_throughWrappers() {
    assertThat(MySqlFailures.isDeadlock(mapped(new SQLException("d", "HY000", 1213)))).isTrue();
    assertThat(MySqlFailures.isDeadlock(new SQLException("d", "40001", 0))).isTrue();
    assertThat(MySqlFailures.isDeadlock(new SQLException("lock wait", "HY000", 1205))).isFalse();
    assertThat(MySqlFailures.isDeadlock(new IllegalStateException())).isFalse();
  }

  @Test
  void misconfiguration_unknownDatabase_namesTheDatabaseAndTheFix() {
    SQLException unknown =
        new SQLSyntaxErrorException("Unknown database 'couponflow'", "42000", 1049);

    assertThat(MySqlFailures.misconfiguration(mapped(unknown), JDBC))
        .contains(
            "MySQL at db.example:3306 has no database 'couponflow' (COUPON_JDBC_URL); create it"
                + " with: ops/coupons db migrate");
  }

  @Test
  void misconfiguration_accessDenied_namesTheVariables_evenBehindThePoolsTimeout() {
    SQLException denied =
        new SQLException(
            "Access denied for user 'app'@'10.0.0.1' (using password: YES)", "28000", 1045);
    SQLTransientConnectionException pool =
        new SQLTransientConnectionException("couponflow - Connection is not available", denied);

    assertThat(MySqlFailures.misconfiguration(mapped(pool), JDBC))
        .contains(
            "MySQL at db.example:3306 refused the credentials (COUPON_JDBC_USER /"
                + " COUPON_JDBC_PASSWORD): Access denied for user 'app'@'10.0.0.1' (using"
                + " password: YES)");
  }

  @Test
  void misconfiguration_anOutageOrABug_isNone() {
    assertThat(MySqlFailures.misconfiguration(new SQLTransientConnectionException("pool"), JDBC))
        .isEmpty();
    assertThat(MySqlFailures.misconfiguration(new SQLException("dup", "23000", 1062), JDBC))
        .isEmpty();
    assertThat(MySqlFailures.misconfiguration(new IllegalArgumentException(), JDBC)).isEmpty();
  }

  @Test
  void describe_theFirstSqlException_orTheFailure() {
    assertThat(MySqlFailures.describe(mapped(new SQLException("Duplicate entry", "23000", 1062))))
        .isEqualTo("SQLState 23000, error 1062: Duplicate entry");
    assertThat(MySqlFailures.describe(new IllegalStateException("bug")))
        .isEqualTo("java.lang.IllegalStateException: bug");
  }
}
