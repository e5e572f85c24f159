package io.couponflow.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Where MySQL is and how to talk to it.
 *
 * @param poolSize connections in the pool (COUPON_JDBC_POOL_SIZE)
 * @param connectTimeout how long to wait for a connection before failing (COUPON_JDBC_TIMEOUT)
 */
public record JdbcSettings(
    String url, String user, String password, int poolSize, Duration connectTimeout) {
  public static final String DEFAULT_URL = "jdbc:mysql://127.0.0.1:3306/couponflow";

  /** Refuses settings that make no sense, naming the variable. */
  public JdbcSettings {
    Objects.requireNonNull(url, "COUPON_JDBC_URL");
    Objects.requireNonNull(user, "COUPON_JDBC_USER");
    Objects.requireNonNull(password, "COUPON_JDBC_PASSWORD");
    Env.require("COUPON_JDBC_POOL_SIZE", poolSize, 1, 256);
    Env.require(
        "COUPON_JDBC_TIMEOUT", connectTimeout, Duration.ofMillis(250), Duration.ofMinutes(5));
    if (!url.startsWith("jdbc:mysql:") && !url.startsWith("jdbc:mariadb:")) {
      throw new ConfigException(
          "COUPON_JDBC_URL: '"
              + url
              + "' is not a MySQL JDBC URL (expected: jdbc:mysql://host:port/db)");
    }
  }

  public static JdbcSettings from(Env env) {
    return new JdbcSettings(
        env.string("COUPON_JDBC_URL", DEFAULT_URL),
        env.string("COUPON_JDBC_USER", "root"),
        env.secret("COUPON_JDBC_PASSWORD"),
        env.integer("COUPON_JDBC_POOL_SIZE", 4),
        env.duration("COUPON_JDBC_TIMEOUT", Duration.ofSeconds(3)));
  }

  /** The same server, another database (tests use one per class). */
  public JdbcSettings withDatabase(String database) {
    int slash = url.indexOf('/', url.indexOf("//") + 2);
    String base = slash < 0 ? url : url.substring(0, slash);
    int query = url.indexOf('?');
    String params = query < 0 ? "" : url.substring(query);
    return new JdbcSettings(
        base + "/" + database + params, user, password, poolSize, connectTimeout);
  }

  /** The database name in the URL. */
  public String database() {
    int slash = url.indexOf('/', url.indexOf("//") + 2);
    if (slash < 0) {
      return "";
    }
    int query = url.indexOf('?', slash);
    return query < 0 ? url.substring(slash + 1) : url.substring(slash + 1, query);
  }

  /** host:port, for messages. */
  public String address() {
    int start = url.indexOf("//") + 2;
    int slash = url.indexOf('/', start);
    return slash < 0 ? url.substring(start) : url.substring(start, slash);
  }
}
