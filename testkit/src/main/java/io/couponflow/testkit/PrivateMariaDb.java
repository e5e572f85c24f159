package io.couponflow.testkit;

import io.couponflow.config.JdbcSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A mariadbd of a test's own: a fresh data directory, root without a password, a loopback port. */
public final class PrivateMariaDb extends ServerProcess {
  private final Path dataDir;

  private PrivateMariaDb(int port) {
    super("mariadb", port);
    this.dataDir = dir.resolve("data");
    installDataDir();
  }

  public static PrivateMariaDb launch() {
    PrivateMariaDb db = new PrivateMariaDb(freePort());
    db.start();
    return db;
  }

  /** Settings for a database on this server. */
  public JdbcSettings jdbc(String database) {
    return new JdbcSettings(
        "jdbc:mysql://127.0.0.1:" + port + "/" + database, "root", "", 4, Duration.ofSeconds(2));
  }

  @Override
  protected List<String> command() {
    return List.of(
        TestSettings.mariadbdBinary(),
        "--no-defaults",
        "--datadir=" + dataDir,
        "--port=" + port,
        "--bind-address=127.0.0.1",
        "--socket=" + dir.resolve("mysqld.sock"),
        "--pid-file=" + dir.resolve("mysqld.pid"),
        "--user=root",
        "--skip-log-bin",
        "--innodb-buffer-pool-size=64M",
        "--innodb-flush-log-at-trx-commit=1",
        "--max-connections=200");
  }

  @Override
  protected Duration startTimeout() {
    return Duration.ofSeconds(60);
  }

  private void installDataDir() {
    if (Files.isDirectory(dataDir.resolve("mysql"))) {
      return;
    }
    try {
      Process install =
          new ProcessBuilder(
                  TestSettings.mariadbInstallDbBinary(),
                  "--no-defaults",
                  "--datadir=" + dataDir,
                  "--auth-root-authentication-method=normal",
                  "--skip-test-db",
                  "--user=root")
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("install.log").toFile())
              .start();
      if (!install.waitFor(120, TimeUnit.SECONDS) || install.exitValue() != 0) {
        throw new IllegalStateException(
            "mariadb-install-db failed; see " + dir.resolve("install.log"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run mariadb-install-db", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
