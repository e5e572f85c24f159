package io.couponflow.bench.rig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The gateway under test, as production runs it, in a process of its own: {@code java -jar
 * couponflow-gateway.jar} with the bench's JVM options, or the launcher {@code
 * gateway/bin/couponflow-gateway} with its defaults; configured by COUPON_* variables, on free
 * loopback ports. Its output goes to a log file beside the bench results.
 *
 * <p>Thread-safety: one thread drives it.
 */
public final class GatewayJvm implements AutoCloseable {
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
  private static final Pattern HEAP_USED =
      Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\",[^}]*} ([0-9.eE+-]+)$");
  private static final Pattern LAUNCHER_OPTIONS =
      Pattern.compile("(?m)^couponflow-gateway: memory .*CPUs: (.*)$");

  /**
   * How to start the gateway.
   *
   * @param command the command line, up to and including the gateway itself
   * @param processEnv variables the command needs besides the COUPON_* ones (JAVA_HOME)
   */
  public record Launch(List<String> command, Map<String, String> processEnv) {
    public Launch {
      command = List.copyOf(command);
      processEnv = Map.copyOf(processEnv);
    }

    /** {@code java <jvmOptions> -jar <jar>}, on the bench's own Java. */
    public static Launch jar(Path jar, List<String> jvmOptions) {
      if (!Files.isRegularFile(jar)) {
        throw new IllegalStateException(
            jar + " is missing: build it first (mvn -DskipTests package -pl gateway -am)");
      }
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.addAll(jvmOptions);
      command.add("-jar");
      command.add(jar.toString());
      return new Launch(command, Map.of());
    }

    /**
     * The launcher script with its defaults (COUPON_JAVA_OPTS is never passed), on the bench's own
     * Java ({@code JAVA_HOME}); the script finds the jar in {@code gateway/target}.
     */
    public static Launch launcher(Path script) {
      if (!Files.isRegularFile(script)) {
        throw new IllegalStateException(script + " is missing");
      }
      return new Launch(
          List.of("bash", script.toString()), Map.of("JAVA_HOME", System.getProperty("java.home")));
    }
  }

  private final Process process;
  private final int apiPort;
  private final int managementPort;
  private final Path log;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private GatewayJvm(Process process, int apiPort, int managementPort, Path log) {
    this.process = process;
    this.apiPort = apiPort;
    this.managementPort = managementPort;
    this.log = log;
  }

  /**
   * Starts the gateway and waits until {@code /health/ready} answers 200.
   *
   * @param env COUPON_* variables; the ports are chosen here, and no other COUPON_* variable of the
   *     bench's own environment reaches the gateway
   */
  public static GatewayJvm start(Launch launch, Map<String, String> env, Path log) {
    int apiPort = freePort();
    int managementPort = freePort();
    ProcessBuilder builder =
        new ProcessBuilder(launch.command()).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("COUPON_"));
    builder.environment().putAll(launch.processEnv());
    builder.environment().putAll(env);
    builder.environment().put("COUPON_HTTP_PORT", Integer.toString(apiPort));
    builder.environment().put("COUPON_MANAGEMENT_HOST", "127.0.0.1");
    builder.environment().put("COUPON_MANAGEMENT_PORT", Integer.toString(managementPort));
    Process process;
    try {
      Files.createDirectories(log.getParent());
      process = builder.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the gateway", e);
    }
    GatewayJvm gateway = new GatewayJvm(process, apiPort, managementPort, log);
    try {
      gateway.awaitReady();
    } catch (RuntimeException e) {
      gateway.close();
      throw e;
    }
    return gateway;
  }

  /** The JVM options the launcher printed that it chose, or empty when it printed none. */
  public Optional<String> launcherOptions() {
    try {
      Matcher m = LAUNCHER_OPTIONS.matcher(Files.readString(log));
      return m.find() ? Optional.of(m.group(1).trim()) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  public Path log() {
    return log;
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (!ready()) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "the gateway exited at start with " + process.exitValue() + "; see " + log);
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException(
            "the gateway was not ready in " + READY_TIMEOUT + "; see " + log);
      }
      Sleep.millis(100);
    }
  }

  private boolean ready() {
    try {
      return get("/health/ready").statusCode() == 200;
    } catch (UncheckedIOException e) {
      return false;
    }
  }

  public int apiPort() {
    return apiPort;
  }

  public long pid() {
    return process.pid();
  }

  /** The gateway's Prometheus text. */
  public String metrics() {
    return get("/metrics").body();
  }

  /**
   * Heap in use after a full collection ({@code jcmd <pid> GC.run}), from the gateway's own {@code
   * jvm_memory_used_bytes{area="heap"}} gauges; empty when jcmd is not available.
   */
  public OptionalDouble heapAfterGc() {
    if (!jcmd("GC.run")) {
      return OptionalDouble.empty();
    }
    Matcher m = HEAP_USED.matcher(metrics());
    double sum = 0;
    boolean any = false;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
      any = true;
    }
    return any ? OptionalDouble.of(sum) : OptionalDouble.empty();
  }

  /**
   * The sum of every sample of a metric in the Prometheus text, labels ignored; NaN when absent.
   */
  public double metric(String name) {
    double sum = Double.NaN;
    for (String line : metrics().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        double v = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        sum = Double.isNaN(sum) ? v : sum + v;
      }
    }
    return sum;
  }

  /** Starts a flight recording ({@code jcmd JFR.start}, the "profile" settings). */
  public void startRecording() {
    jcmd("JFR.start", "name=bench", "settings=profile");
  }

  /** Stops the flight recording and writes it to {@code file}. */
  public void stopRecording(Path file) {
    jcmd("JFR.stop", "name=bench", "filename=" + file.toAbsolutePath());
  }

  private boolean jcmd(String... command) {
    Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
    if (!Files.isExecutable(jcmd)) {
      return false;
    }
    List<String> line = new ArrayList<>();
    line.add(jcmd.toString());
    line.add(Long.toString(pid()));
    line.addAll(List.of(command));
    try {
      Process p =
          new ProcessBuilder(line)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return p.exitValue() == 0;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private HttpResponse<String> get(String path) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
              .timeout(Duration.ofSeconds(5))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** SIGTERM, then waits for the graceful stop (the queue is written to MySQL). */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(40, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }
}
