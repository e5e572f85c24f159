package io.couponflow.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A Redis Cluster of a test's own on loopback: {@code masters} masters, each with {@code
 * replicasPerMaster} replicas, created with {@code redis-cli --cluster create}, data under the
 * module's {@code target/}. Nodes may be killed or frozen one at a time (they are {@link
 * PrivateRedis} processes); masters may be added and slots resharded with {@code redis-cli
 * --cluster}. Closing kills every node.
 *
 * <p>The node timeout is short (2 s by default), so a killed master's replica takes over within a
 * few seconds. Topology questions (who owns a slot, which nodes are masters) are answered by asking
 * a running node with {@code redis-cli}, never from what this class started.
 *
 * <p>Thread-safety: not thread-safe; drive it from the test's thread.
 */
public final class PrivateRedisCluster implements AutoCloseable {
  private static final Duration CLI_TIMEOUT = Duration.ofSeconds(60);

  private final List<PrivateRedis> nodes = new ArrayList<>();
  private final Duration nodeTimeout;

  private PrivateRedisCluster(Duration nodeTimeout) {
    this.nodeTimeout = nodeTimeout;
  }

  /** Starts a cluster of {@code masters} masters without replicas. */
  public static PrivateRedisCluster launch(int masters) {
    return launch(masters, 0, Duration.ofSeconds(2));
  }

  /**
   * Starts a cluster and waits until every node reports {@code cluster_state:ok}, all agree on the
   * slots, and every replica is in sync with its master.
   */
  public static PrivateRedisCluster launch(
      int masters, int replicasPerMaster, Duration nodeTimeout) {
    if (masters < 3) {
      throw new IllegalArgumentException("masters: " + masters + " (expected: >= 3)");
    }
    if (replicasPerMaster < 0) {
      throw new IllegalArgumentException(
          "replicasPerMaster: " + replicasPerMaster + " (expected: >= 0)");
    }
    PrivateRedisCluster cluster = new PrivateRedisCluster(nodeTimeout);
    try {
      int count = masters * (1 + replicasPerMaster);
      for (int i = 0; i < count; i++) {
        cluster.startNode();
      }
      List<String> create = new ArrayList<>(List.of("--cluster", "create"));
      cluster.nodes.forEach(n -> create.add(address(n)));
      create.addAll(
          List.of("--cluster-replicas", Integer.toString(replicasPerMaster), "--cluster-yes"));
      cluster.cli(cluster.nodes.get(0), create.toArray(String[]::new));
      cluster.awaitHealthy(Duration.ofSeconds(60));
      return cluster;
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** Every node as a comma-separated list of URIs: the value of COUPON_REDIS_URI. */
  public String uri() {
    return String.join(",", nodes.stream().map(PrivateRedis::uri).toList());
  }

  /** Every node this cluster started, in start order (running or not). */
  public List<PrivateRedis> nodes() {
    return List.copyOf(nodes);
  }

  /** The running nodes that are masters now, in port order. */
  public List<PrivateRedis> masters() {
    return nodeTable().stream()
        .filter(row -> row.master() && !row.failed())
        .map(row -> node(row.port()))
        .filter(PrivateRedis::isRunning)
        .sorted(Comparator.comparingInt(PrivateRedis::port))
        .toList();
  }

  /** The replicas of a master, as the cluster reports them now. */
  public List<PrivateRedis> replicasOf(PrivateRedis master) {
    String id = nodeId(master);
    return nodeTable().stream()
        .filter(row -> !row.master() && id.equals(row.masterId()))
        .map(row -> node(row.port()))
        .toList();
  }

  /** The slot a key hashes to ({@code CLUSTER KEYSLOT}). */
  public int keySlot(String key) {
    return Integer.parseInt(cli(anyRunning(), "CLUSTER", "KEYSLOT", key).trim());
  }

  /** The master that serves a slot now. */
  public PrivateRedis ownerOf(int slot) {
    for (NodeRow row : nodeTable()) {
      if (row.master() && !row.failed() && row.serves(slot)) {
        return node(row.port());
      }
    }
    throw new IllegalStateException("no master serves slot " + slot);
  }

  /** The master that serves a key now. */
  public PrivateRedis ownerOf(String key) {
    return ownerOf(keySlot(key));
  }

  /** The node's cluster id. */
  public String nodeId(PrivateRedis node) {
    return cli(node, "CLUSTER", "MYID").trim();
  }

  /**
   * Starts a new node and adds it as an empty master with {@code redis-cli --cluster add-node},
   * which also copies the Functions libraries of an existing node onto it.
   */
  public PrivateRedis addMaster() {
    PrivateRedis added = startNode();
    cli(added, "--cluster", "add-node", address(added), address(masters().get(0)));
    awaitHealthy(Duration.ofSeconds(60));
    return added;
  }

  /**
   * Starts a new node and joins it with a bare {@code CLUSTER MEET}, the way an orchestrator may:
   * it holds no Functions library.
   */
  public PrivateRedis addBareMaster() {
    PrivateRedis added = startNode();
    String[] bus = cli(added, "CONFIG", "GET", "cluster-port").trim().split("\\s+");
    cli(masters().get(0), "CLUSTER", "MEET", "127.0.0.1", Integer.toString(added.port()), bus[1]);
    awaitHealthy(Duration.ofSeconds(60));
    return added;
  }

  /**
   * Moves {@code slots} slots from one master to another with {@code redis-cli --cluster reshard},
   * keys included. redis-cli takes the source's lowest-numbered slots first.
   */
  public void reshard(PrivateRedis from, PrivateRedis to, int slots) {
    cli(
        from,
        "--cluster",
        "reshard",
        address(from),
        "--cluster-from",
        nodeId(from),
        "--cluster-to",
        nodeId(to),
        "--cluster-slots",
        Integer.toString(slots),
        "--cluster-yes");
    awaitHealthy(Duration.ofSeconds(60));
  }

  /**
   * Kills a master (SIGKILL, the way a crash looks).
   *
   * @return its replicas as the cluster listed them just before, the candidates to take over
   */
  public List<PrivateRedis> killMaster(PrivateRedis master) {
    List<PrivateRedis> replicas = replicasOf(master);
    master.kill();
    return replicas;
  }

  /**
   * Waits until one of {@code candidates} has taken over as a master serving slots and every
   * running node reports {@code cluster_state:ok} again.
   *
   * @return the promoted node
   */
  public PrivateRedis awaitPromotion(List<PrivateRedis> candidates, Duration timeout) {
    if (candidates.isEmpty()) {
      throw new IllegalArgumentException("no replica to take over: the candidates are empty");
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      Optional<PrivateRedis> promoted = promotedAmong(candidates);
      if (promoted.isPresent()) {
        return promoted.get();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "none of "
                + candidates.stream().map(PrivateRedisCluster::address).toList()
                + " took over within "
                + timeout);
      }
      ServerProcess.sleep(100);
    }
  }

  private Optional<PrivateRedis> promotedAmong(List<PrivateRedis> candidates) {
    try {
      for (PrivateRedis node : running()) {
        if (!"ok".equals(info(node, "cluster_state"))) {
          return Optional.empty();
        }
      }
      return candidates.stream()
          .filter(PrivateRedis::isRunning)
          .filter(n -> "master".equals(infoSection(n, "replication", "role")))
          .filter(n -> !slotsOf(n).isEmpty())
          .findFirst();
    } catch (IllegalStateException e) {
      return Optional.empty();
    }
  }

  /** The slots a node serves now, as the cluster reports them. */
  public List<Integer> slotsOf(PrivateRedis node) {
    List<Integer> slots = new ArrayList<>();
    for (NodeRow row : nodeTable()) {
      if (row.port() == node.port() && row.master() && !row.failed()) {
        for (int[] range : row.ranges()) {
          for (int s = range[0]; s <= range[1]; s++) {
            slots.add(s);
          }
        }
      }
    }
    return slots;
  }

  /**
   * Waits until every running node reports {@code cluster_state:ok}, {@code redis-cli --cluster
   * check} finds all nodes agreeing on all 16384 slots, and every running replica is in sync.
   */
  public void awaitHealthy(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    String why = "";
    while (System.nanoTime() < deadline) {
      try {
        why = unhealthyBecause();
      } catch (IllegalStateException e) {
        why = e.getMessage();
      }
      if (why.isEmpty()) {
        return;
      }
      ServerProcess.sleep(100);
    }
    throw new IllegalStateException("cluster not healthy within " + timeout + ": " + why);
  }

  private String unhealthyBecause() {
    for (PrivateRedis node : running()) {
      String state = info(node, "cluster_state");
      if (!"ok".equals(state)) {
        return address(node) + " cluster_state:" + state;
      }
      String role = infoSection(node, "replication", "role");
      if ("slave".equals(role)
          && !"up".equals(infoSection(node, "replication", "master_link_status"))) {
        return address(node) + " replica not in sync";
      }
    }
    String roles = null;
    for (PrivateRedis viewer : running()) {
      String seen = rolesSeenBy(viewer);
      if (roles == null) {
        roles = seen;
      } else if (!roles.equals(seen)) {
        return "nodes disagree on roles: " + roles + " vs " + seen + " seen by " + address(viewer);
      }
    }
    CliResult check = run(anyRunning(), "--cluster", "check", address(masters().get(0)));
    if (check.exit() != 0 || !check.output().contains("All nodes agree")) {
      return "redis-cli --cluster check: " + check.output();
    }
    return "";
  }

  /**
   * Who is master and who replicates whom among the running nodes, as one node sees it. Gossip
   * spreads a role change node by node, so after a failover one node may already list the new
   * master's slots while it still lists the old master as a master without replicas.
   */
  private String rolesSeenBy(PrivateRedis viewer) {
    Map<String, Integer> portById = new HashMap<>();
    List<NodeRow> table = nodeTable(viewer);
    table.forEach(row -> portById.put(row.id(), row.port()));
    Set<Integer> running = running().stream().map(PrivateRedis::port).collect(Collectors.toSet());
    return table.stream()
        .filter(row -> running.contains(row.port()) && !row.failed())
        .sorted(Comparator.comparingInt(NodeRow::port))
        .map(
            row ->
                row.port()
                    + (row.master() ? " master" : " replica of " + portById.get(row.masterId())))
        .collect(Collectors.joining(", ", "[", "]"));
  }

  /** Runs {@code redis-cli -p <node> args...}; returns its output, fails when it exits non-zero. */
  public String cli(PrivateRedis node, String... args) {
    CliResult result = run(node, args);
    if (result.exit() != 0) {
      throw new IllegalStateException(
          "redis-cli "
              + String.join(" ", args)
              + " exited "
              + result.exit()
              + ": "
              + result.output());
    }
    return result.output();
  }

  @Override
  public void close() {
    for (PrivateRedis node : nodes) {
      node.close();
    }
  }

  private PrivateRedis startNode() {
    int port = freeDistinctPort(-1);
    int bus = freeDistinctPort(port);
    PrivateRedis node =
        PrivateRedis.onPort(
            port,
            false,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            Long.toString(nodeTimeout.toMillis()),
            "--cluster-port",
            Integer.toString(bus),
            "--cluster-replica-validity-factor",
            "0",
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0");
    wipe(node.dir);
    nodes.add(node);
    node.start();
    return node;
  }

  private int freeDistinctPort(int other) {
    while (true) {
      int port = ServerProcess.freePort();
      boolean taken = port == other || nodes.stream().anyMatch(n -> n.port() == port);
      if (!taken) {
        return port;
      }
    }
  }

  private static void wipe(Path dir) {
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.toList()) {
        if (Files.isRegularFile(file)) {
          Files.delete(file);
        } else {
          try (Stream<Path> tree = Files.walk(file)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
              Files.delete(p);
            }
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private List<PrivateRedis> running() {
    return nodes.stream().filter(PrivateRedis::isRunning).toList();
  }

  /** A running node that answers now (a frozen one does not). */
  private PrivateRedis anyRunning() {
    return running().stream()
        .filter(n -> ServerProcess.accepts(n.port()))
        .filter(n -> run(n, Duration.ofSeconds(2), "PING").output().trim().equals("PONG"))
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no cluster node answers"));
  }

  private PrivateRedis node(int port) {
    return nodes.stream()
        .filter(n -> n.port() == port)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("no node on port " + port));
  }

  private String info(PrivateRedis node, String field) {
    return field(cli(node, "CLUSTER", "INFO"), field);
  }

  private String infoSection(PrivateRedis node, String section, String field) {
    return field(cli(node, "INFO", section), field);
  }

  private static String field(String text, String name) {
    for (String line : text.split("\r?\n")) {
      if (line.startsWith(name + ":")) {
        return line.substring(name.length() + 1).trim();
      }
    }
    return "";
  }

  /** One line of CLUSTER NODES. */
  private record NodeRow(
      String id, int port, boolean master, boolean failed, String masterId, List<int[]> ranges) {
    boolean serves(int slot) {
      return ranges.stream().anyMatch(r -> r[0] <= slot && slot <= r[1]);
    }
  }

  private List<NodeRow> nodeTable() {
    return nodeTable(anyRunning());
  }

  private List<NodeRow> nodeTable(PrivateRedis viewer) {
    List<NodeRow> rows = new ArrayList<>();
    for (String line : cli(viewer, "CLUSTER", "NODES").split("\r?\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.trim().split(" ");
      String address = f[1].substring(0, f[1].indexOf('@'));
      int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      List<String> flags = Arrays.asList(f[2].split(","));
      List<int[]> ranges = new ArrayList<>();
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue;
        }
        String[] bounds = f[i].split("-");
        int lo = Integer.parseInt(bounds[0]);
        ranges.add(new int[] {lo, bounds.length > 1 ? Integer.parseInt(bounds[1]) : lo});
      }
      rows.add(
          new NodeRow(f[0], port, flags.contains("master"), flags.contains("fail"), f[3], ranges));
    }
    return rows;
  }

  private record CliResult(int exit, String output) {}

  private static CliResult run(PrivateRedis node, String... args) {
    return run(node, CLI_TIMEOUT, args);
  }

  /**
   * Runs redis-cli and waits at most {@code timeout}: a frozen node accepts the connection but
   * never answers, and redis-cli would wait for it forever.
   */
  private static CliResult run(PrivateRedis node, Duration timeout, String... args) {
    List<String> command = new ArrayList<>();
    command.add(TestSettings.redisCliBinary());
    command.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(node.port())));
    command.addAll(List.of(args));
    Path output = null;
    try {
      Files.createDirectories(TestSettings.workDir());
      output = Files.createTempFile(TestSettings.workDir(), "redis-cli", ".out");
      Process process =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(output.toFile())
              .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        return new CliResult(
            -1, "redis-cli " + String.join(" ", args) + ": no answer in " + timeout);
      }
      return new CliResult(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run redis-cli", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } finally {
      if (output != null) {
        try {
          Files.deleteIfExists(output);
        } catch (IOException e) {
          // A leftover file under target/ is harmless.
        }
      }
    }
  }

  private static String address(PrivateRedis node) {
    return "127.0.0.1:" + node.port();
  }
}
