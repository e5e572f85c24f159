package io.couponflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A server process a test starts on a loopback port of its own and may kill, freeze, thaw and
 * restart. Killing is SIGKILL: no clean shutdown, the way a crash looks.
 */
public abstract class ServerProcess implements AutoCloseable {
  protected final Path dir;
  protected final int port;
  private Process process;

  protected ServerProcess(String name, int port) {
    this.port = port;
    this.dir = TestSettings.workDir().resolve(name + "-" + port);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The command line that runs the server in the foreground. */
  protected abstract List<String> command();

  /** How long a start may take. */
  protected Duration startTimeout() {
    return Duration.ofSeconds(30);
  }

  public final int port() {
    return port;
  }

  public final synchronized void start() {
    if (process != null && process.isAlive()) {
      return;
    }
    try {
      process =
          new ProcessBuilder(command())
              .directory(dir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("server.log").toFile())
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + command().get(0), e);
    }
    long deadline = System.nanoTime() + startTimeout().toNanos();
    while (!accepts(port)) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            command().get(0) + " exited at start; see " + dir.resolve("server.log"));
      }
      if (System.nanoTime() > deadline) {
        kill();
        throw new IllegalStateException(command().get(0) + " did not listen on port " + port);
      }
      sleep(50);
    }
  }

  /** SIGKILL, then waits for the process to be gone. */
  public final synchronized void kill() {
    if (process == null) {
      return;
    }
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (accepts(port) && System.nanoTime() < deadline) {
      sleep(20);
    }
  }

  /** SIGSTOP: the process keeps its sockets but answers nothing. */
  public final synchronized void freeze() {
    signal("STOP");
  }

  /** SIGCONT after {@link #freeze()}. */
  public final synchronized void thaw() {
    signal("CONT");
  }

  public final void restart() {
    kill();
    start();
  }

  /**
   * Copies the server's data directory as it is on disk now (the server may be running: the copy is
   * what a crash at this instant would leave, or a backup taken now), without its log.
   */
  public final Path copyData(Path target) {
    try (var files = Files.walk(dir)) {
      for (Path source : files.toList()) {
        if (source.getFileName().toString().equals("server.log")) {
          continue;
        }
        Path to = target.resolve(dir.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(to);
        } else {
          Files.copy(source, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Replaces the data directory with a copy made by {@link #copyData}; the server must be down. */
  public final synchronized void replaceData(Path copy) {
    if (isRunning()) {
      throw new IllegalStateException("stop the server before replacing its data");
    }
    try (var files = Files.walk(dir)) {
      for (Path old : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
        if (!old.equals(dir) && !old.getFileName().toString().equals("server.log")) {
          Files.delete(old);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (var files = Files.walk(copy)) {
      for (Path source : files.toList()) {
        Path to = dir.resolve(copy.relativize(source).toString());
        if (Files.isDirectory(source)) {
          Files.createDirectories(to);
        } else {
          Files.copy(source, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public final synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  @Override
  public void close() {
    if (process != null && process.isAlive()) {
      thaw();
    }
    kill();
  }

  private void signal(String signal) {
    if (process == null || !process.isAlive()) {
      throw new IllegalStateException("not running");
    }
    try {
      Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).start();
      kill.waitFor(5, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A loopback port nobody listens on right now. */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
