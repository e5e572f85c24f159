package io.couponflow.gateway.faults;

import io.couponflow.testkit.ServerProcess;
import io.couponflow.testkit.TestSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway as production runs it: {@code java -jar target/couponflow-gateway.jar} in a JVM of
 * its own, configured only by COUPON_* variables, on free loopback ports (new ones at each start).
 * A test kills it with SIGKILL, stops it with SIGTERM, and starts it again with the same
 * environment. Its output goes to {@code target/test-servers/gateway-<name>-<n>.log}.
 *
 * <p>Thread-safety: one test thread drives it.
 */
final class GatewayProcess implements AutoCloseable {
  private static final Path JAR = Path.of("target", "couponflow-gateway.jar").toAbsolutePath();
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

  private final String name;
  private final Map<String, String> env;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;
  private int apiPort;
  private int managementPort;
  private int starts;

  GatewayProcess(String name, Map<String, String> env) {
    this.name = name;
    this.env = Map.copyOf(env);
  }

  /** Starts a new gateway JVM and waits until {@code /health/ready} answers 200. */
  void start() {
    if (!Files.isRegularFile(JAR)) {
      throw new IllegalStateException(JAR + " is missing: run the package phase first");
    }
    apiPort = ServerProcess.freePort();
    managementPort = ServerProcess.freePort();
    Map<String, String> all = new HashMap<>();
    all.put("COUPON_REPAIR_SETTLE", "0s");
    all.putAll(env);
    all.put("COUPON_HTTP_PORT", Integer.toString(apiPort));
    all.put("COUPON_MANAGEMENT_HOST", "127.0.0.1");
    all.put("COUPON_MANAGEMENT_PORT", Integer.toString(managementPort));
    Path log = TestSettings.workDir().resolve("gateway-" + name + "-" + ++starts + ".log");
    try {
      Files.createDirectories(log.getParent());
      ProcessBuilder builder =
          new ProcessBuilder(
                  List.of(
                      Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                      "-Xmx256m",
                      "-XX:+UseSerialGC",
                      "-XX:TieredStopAtLevel=1",
                      "-jar",
                      JAR.toString()))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      builder.environment().keySet().removeIf(k -> k.startsWith("COUPON_"));
      builder.environment().putAll(all);
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the gateway", e);
    }
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (!ready()) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "gateway exited at start with " + process.exitValue() + "; see " + log);
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("gateway not ready in " + READY_TIMEOUT + "; see " + log);
      }
      sleep(100);
    }
  }

  private boolean ready() {
    try {
      HttpResponse<Void> r =
          http.send(
              HttpRequest.newBuilder(management("/health/ready"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL: no shutdown hook, no flush; the way a crash looks. */
  void kill() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(10));
  }

  /**
   * SIGTERM, then waits for the process to end.
   *
   * @return its exit code
   */
  int terminate(Duration timeout) {
    process.destroy();
    return awaitExit(timeout);
  }

  private int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("gateway did not exit within " + timeout);
      }
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  URI api(String path) {
    return URI.create("http://127.0.0.1:" + apiPort + path);
  }

  URI management(String path) {
    return URI.create("http://127.0.0.1:" + managementPort + path);
  }

  /** The gateway's Prometheus text. */
  String metrics() {
    try {
      return http.send(
              HttpRequest.newBuilder(management("/metrics")).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      awaitExit(Duration.ofSeconds(10));
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
