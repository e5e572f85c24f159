package io.couponflow.bench.scenario;

import io.couponflow.bench.hello.HelloServer;
import io.couponflow.bench.load.RedemptionRequests;
import io.couponflow.bench.rig.CpuMeter;
import io.couponflow.bench.rig.CpuUsage;
import io.couponflow.bench.rig.GatewayJvm;
import io.couponflow.bench.rig.Progress;
import io.couponflow.bench.rig.Sleep;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * H, the bare Netty answer: {@link HelloServer} in a JVM of its own with the gateway's JVM options
 * and event loop count, under S1's load shape, answering every request with a fixed 201 body the
 * size of a real redemption answer. Its requests per second and CPU per request are the floor the
 * gateway's are measured against. Every answer must be a 201.
 */
public final class HBareNetty {
  /**
   * @param cpu microseconds per request: H's server JVM and the load generator
   */
  public record Result(
      double requestsPerSecond,
      long requests,
      CpuUsage cpu,
      int bodyBytes,
      String bodySource,
      int eventLoops)
      implements Measurement {
    @Override
    public String scenario() {
      return "H";
    }
  }

  private static final Duration MAX_WARMUP = Duration.ofSeconds(5);
  private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

  private final LoadShape shape;
  private final List<String> jvmOptions;
  private final int eventLoops;
  private final Path workDir;
  private final Progress progress;

  /**
   * @param jvmOptions the gateway's
   * @param eventLoops the gateway's API event loops
   */
  public HBareNetty(
      LoadShape shape, List<String> jvmOptions, int eventLoops, Path workDir, Progress progress) {
    this.shape = shape;
    this.jvmOptions = List.copyOf(jvmOptions);
    this.eventLoops = eventLoops;
    this.workDir = workDir;
    this.progress = progress;
  }

  public Result run(AnswerSample answer) {
    int port = GatewayJvm.freePort();
    Path body = workDir.resolve("h-body.json");
    Path log = workDir.resolve("h-server.log");
    try {
      Files.createDirectories(workDir);
      Files.write(body, answer.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            HelloServer.class.getName(),
            Integer.toString(port),
            body.toString(),
            Integer.toString(eventLoops)));
    progress.say(
        "H: bare Netty server, %d-byte body, %d event loop(s), %s",
        answer.body().length, eventLoops, String.join(" ", jvmOptions));
    Process server;
    try {
      server =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the bare Netty server", e);
    }
    try (ClosedLoop load = awaitListening(server, port, log)) {
      Duration warmup = shape.warmup().compareTo(MAX_WARMUP) > 0 ? MAX_WARMUP : shape.warmup();
      if (!warmup.isZero()) {
        progress.say("H: warm-up %d s", warmup.toSeconds());
        check(load.run(new RedemptionRequests(1, "hw", ClosedLoop.HOST), warmup), log);
      }
      progress.say(
          "H: %d connections for %d s (%s)",
          shape.connections(), shape.duration().toSeconds(), shape.tool());
      CpuMeter cpu =
          new CpuMeter().watch("H", server.pid()).watch("load", ProcessHandle.current().pid());
      var before = cpu.sample();
      Throughput t = load.run(new RedemptionRequests(1, "h", ClosedLoop.HOST), shape.duration());
      var after = cpu.sample();
      check(t, log);
      Result result =
          new Result(
              t.answeredPerSecond(),
              t.answered(),
              CpuMeter.perUnit(before, after, t.answered()),
              answer.body().length,
              answer.source(),
              eventLoops);
      progress.say(
          "H: %,.0f/s, %.1f us of CPU per request",
          result.requestsPerSecond(), result.cpu().of("H"));
      return result;
    } finally {
      server.destroy();
      try {
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
          server.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        server.destroyForcibly();
      }
    }
  }

  /** Every answer a 201, none lost beyond those in flight at the end. */
  private static void check(Throughput t, Path log) {
    if (t.answered() == 0 || t.created() != t.answered() || t.serverErrors() > 0) {
      throw new IllegalStateException(
          "H: the bare server answered "
              + t.answered()
              + " requests, "
              + t.created()
              + " of them 201; see "
              + log);
    }
  }

  private ClosedLoop awaitListening(Process server, int port, Path log) {
    long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(ClosedLoop.HOST, port), 1_000);
        return new ClosedLoop(shape, port);
      } catch (IOException e) {
        if (!server.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "the bare Netty server did not start listening; see " + log, e);
        }
        Sleep.millis(50);
      }
    }
  }
}
