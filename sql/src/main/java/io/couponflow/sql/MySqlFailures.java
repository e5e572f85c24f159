package io.couponflow.sql;

import io.couponflow.config.JdbcSettings;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientException;
import java.util.Optional;

/**
 * The one classifier of MySQL failures: an outage (retry later: MySQL unreachable, overloaded,
 * read-only, a lost deadlock) against everything else (a row MySQL refuses, a mapping bug, a
 * corrupt row), which retrying does not cure, and a MySQL that answers but refuses this
 * configuration (no such database, wrong credentials), which waiting does not cure either. Every
 * piece asks here: the sink (poison rows go to the dead-letter table), the gateway (503 while MySQL
 * is out, 500 for a bug, no start when misconfigured) and the preheat job (the snapshot only while
 * MySQL is out).
 */
public final class MySqlFailures {
  private MySqlFailures() {}

  /**
   * True when the failure is about reaching MySQL, not about the data or the code: it carries an
   * SQLException of a connection, timeout or transaction-rollback kind. A failure without any
   * SQLException (a mapping bug, a value the model refuses) is not an outage.
   */
  public static boolean isOutage(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientException
          || t instanceof SQLRecoverableException
          || t instanceof SQLTimeoutException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        // 08: connection exception; 40: transaction rollback (deadlock, lock wait); HYT00 timeout
        if (state != null
            && (state.startsWith("08") || state.startsWith("40") || state.equals("HYT00"))) {
          return true;
        }
        int code = sql.getErrorCode();
        // 1205 lock wait timeout, 1213 deadlock, 1290 read-only, 1040 too many connections
        if (code == 1205 || code == 1213 || code == 1290 || code == 1040) {
          return true;
        }
        return sql.getSQLState() == null && sql.getErrorCode() == 0;
      }
    }
    return false;
  }

  /**
   * True when the transaction lost a deadlock: nothing is wrong with MySQL or the data, and the
   * same transaction may simply run again.
   */
  public static boolean isDeadlock(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql
          && (sql.getErrorCode() == 1213 || "40001".equals(sql.getSQLState()))) {
        return true;
      }
    }
    return false;
  }

  /** MySQL's error for a database that does not exist. */
  static final int UNKNOWN_DATABASE = 1049;

  /** MySQL's error for refused credentials. */
  static final int ACCESS_DENIED = 1045;

  /**
   * What a MySQL that answered refused about this configuration, said for the operator (naming the
   * variables to fix); empty when the failure is anything else (an outage, a bug). It carries,
   * anywhere in its causes, error 1049 (no such database) or 1045 (credentials refused), also when
   * the pool reports it as the reason it could not connect.
   */
  public static Optional<String> misconfiguration(Throwable failure, JdbcSettings jdbc) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        if (sql.getErrorCode() == UNKNOWN_DATABASE) {
          return Optional.of(
              "MySQL at "
                  + jdbc.address()
                  + " has no database '"
                  + jdbc.database()
                  + "' (COUPON_JDBC_URL); create it with: ops/coupons db migrate");
        }
        if (sql.getErrorCode() == ACCESS_DENIED) {
          return Optional.of(
              "MySQL at "
                  + jdbc.address()
                  + " refused the credentials (COUPON_JDBC_USER / COUPON_JDBC_PASSWORD): "
                  + sql.getMessage());
        }
      }
    }
    return Optional.empty();
  }

  /** The most specific message for a dead letter. */
  public static String describe(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof SQLException sql) {
        return "SQLState "
            + sql.getSQLState()
            + ", error "
            + sql.getErrorCode()
            + ": "
            + sql.getMessage();
      }
    }
    return String.valueOf(failure);
  }
}
