package io.couponflow.testkit;

import io.couponflow.config.Env;
import io.couponflow.config.JdbcSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The one place tests learn where their servers are. Each address comes from a COUPON_TEST_*
 * variable and defaults to loopback:
 *
 * <ul>
 *   <li>COUPON_TEST_REDIS_URI (redis://127.0.0.1:6379)
 *   <li>COUPON_TEST_JDBC_URL (jdbc:mysql://127.0.0.1:3306/couponflow_test), COUPON_TEST_JDBC_USER
 *       (root), COUPON_TEST_JDBC_PASSWORD (empty)
 *   <li>COUPON_TEST_REDIS_SERVER, COUPON_TEST_MARIADBD, COUPON_TEST_MARIADB_INSTALL_DB: the
 *       binaries fault tests start private servers with
 *   <li>COUPON_TEST_REDIS_CLI: the redis-cli that creates and reshards private clusters
 * </ul>
 */
public final class TestSettings {
  private static final Env ENV = Env.system();

  private TestSettings() {}

  public static String redisUri() {
    return ENV.string("COUPON_TEST_REDIS_URI", "redis://127.0.0.1:6379");
  }

  public static JdbcSettings jdbc() {
    return new JdbcSettings(
        ENV.string("COUPON_TEST_JDBC_URL", "jdbc:mysql://127.0.0.1:3306/couponflow_test"),
        ENV.string("COUPON_TEST_JDBC_USER", "root"),
        ENV.secret("COUPON_TEST_JDBC_PASSWORD"),
        4,
        Duration.ofSeconds(3));
  }

  public static String redisServerBinary() {
    return ENV.string("COUPON_TEST_REDIS_SERVER", "redis-server");
  }

  public static String redisCliBinary() {
    return ENV.string("COUPON_TEST_REDIS_CLI", "redis-cli");
  }

  public static String mariadbdBinary() {
    return ENV.string("COUPON_TEST_MARIADBD", "mariadbd");
  }

  public static String mariadbInstallDbBinary() {
    return ENV.string("COUPON_TEST_MARIADB_INSTALL_DB", "mariadb-install-db");
  }

  /** Where private servers keep their data: under the module's target folder. */
  public static Path workDir() {
    return Path.of("target", "test-servers").toAbsolutePath();
  }

  /**
   * A name no other test class or run uses, for a database or a Redis key prefix: {@code
   * t_<class>_<random>}, lower case, at most 32 characters.
   */
  public static String uniqueName(Class<?> testClass) {
    String base = testClass.getSimpleName().toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    if (base.length() > 20) {
      base = base.substring(0, 20);
    }
    return "t_" + base + "_" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
  }
}
