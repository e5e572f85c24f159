package io.couponflow.bench.rig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Private redis-server processes for a benchmark run: one single node, or the masters of a Redis
 * Cluster created with {@code redis-cli --cluster create}; loopback ports of their own, data in a
 * temporary folder, no persistence (both targets run alike), killed on close.
 *
 * <p>Thread-safety: not thread-safe.
 */
public final class LocalRedis implements AutoCloseable {
  private final String redisServer;
  private final String redisCli;
  private final Path dir;
  private final List<Process> processes = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  private LocalRedis(String redisServer, String redisCli) {
    this.redisServer = redisServer;
    this.redisCli = redisCli;
    try {
      this.dir = Files.createTempDirectory("couponflow-bench-redis");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Starts one redis-server. */
  public static LocalRedis single(String redisServer, String redisCli) {
    LocalRedis redis = new LocalRedis(redisServer, redisCli);
    try {
      redis.startNode(false);
      return redis;
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  /** Starts {@code masters} cluster-enabled redis-servers and makes them one cluster. */
  public static LocalRedis cluster(String redisServer, String redisCli, int masters) {
    LocalRedis redis = new LocalRedis(redisServer, redisCli);
    try {
      for (int i = 0; i < masters; i++) {
        redis.startNode(true);
      }
      List<String> create = new ArrayList<>(List.of("--cluster", "create"));
      redis.ports.forEach(p -> create.add("127.0.0.1:" + p));
      create.addAll(List.of("--cluster-replicas", "0", "--cluster-yes"));
      redis.cli(redis.ports.get(0), create.toArray(String[]::new));
      redis.awaitClusterOk();
      return redis;
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  /** The value for COUPON_REDIS_URI: one URI, or all of the cluster's nodes. */
  public String uri() {
    return String.join(",", ports.stream().map(p -> "redis://127.0.0.1:" + p).toList());
  }

  private void startNode(boolean clusterEnabled) {
    int port = freePort();
    Path nodeDir = dir.resolve(Integer.toString(port));
    List<String> command =
        new ArrayList<>(
            List.of(
                redisServer,
                "--port",
                Integer.toString(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                nodeDir.toString(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction"));
    if (clusterEnabled) {
      command.addAll(
          List.of(
              "--cluster-enabled",
              "yes",
              "--cluster-config-file",
              "nodes.conf",
              "--cluster-port",
              Integer.toString(freePort())));
    }
    try {
      Files.createDirectories(nodeDir);
      Process process =
          new ProcessBuilder(command)
              .directory(nodeDir.toFile())
              .redirectErrorStream(true)
              .redirectOutput(nodeDir.resolve("server.log").toFile())
              .start();
      processes.add(process);
      ports.add(port);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + redisServer, e);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!cli(port, "PING").trim().equals("PONG")) {
      if (System.nanoTime() > deadline || !processes.get(processes.size() - 1).isAlive()) {
        throw new IllegalStateException(
            redisServer
                + " did not start on port "
                + port
                + "; see "
                + nodeDir.resolve("server.log"));
      }
      Sleep.millis(50);
    }
  }

  private void awaitClusterOk() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      boolean ok =
          ports.stream().allMatch(p -> cli(p, "CLUSTER", "INFO").contains("cluster_state:ok"));
      if (ok) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the benchmark's Redis Cluster did not become ready");
      }
      Sleep.millis(100);
    }
  }

  private String cli(int port, String... args) {
    List<String> command = new ArrayList<>(List.of(redisCli, "-p", Integer.toString(port)));
    command.addAll(List.of(args));
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + redisCli, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    for (Process process : processes) {
      process.destroyForcibly();
    }
    for (Process process : processes) {
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // A leftover temporary folder is harmless.
    }
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
