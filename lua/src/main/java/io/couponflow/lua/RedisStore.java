package io.couponflow.lua;

import io.couponflow.config.RedisSettings;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.KeyScanArgs;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One process's connection to Redis: a single server, or Redis Cluster when several URIs are
 * configured. There is one shared, pipelined connection (per node on a cluster); commands are
 * asynchronous and never block the caller.
 *
 * <p>Single server: while disconnected, commands fail at once instead of queueing, so callers can
 * answer "unavailable" quickly.
 *
 * <p>Cluster: Lettuce's cluster client routes each command by its key's slot (every key of a coupon
 * shares the coupon's hash tag, so one coupon is one slot on one master) and connects to each node
 * when a command first needs it, at start and again after every topology change (failover,
 * resharding, an added master). Commands routed to a node whose connection is not up yet are
 * therefore held, not rejected: they go out once it connects, or are sent to the slot's new master
 * when a topology refresh moves the slot, and fail as unavailable when the command timeout passes
 * first. Rejecting them instead would fail the first calls to every node and every call during a
 * replica's promotion. The topology is refreshed every {@link #TOPOLOGY_REFRESH} and whenever Redis
 * answers MOVED or ASK, a slot is uncovered or a node cannot be reconnected, at most once per
 * {@link #ADAPTIVE_REFRESH_PAUSE}.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class RedisStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisStore.class);

  /** How often the cluster topology is refreshed when nothing suggests a change. */
  static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(5);

  /** The least time between two refreshes that events (MOVED, reconnects) trigger. */
  static final Duration ADAPTIVE_REFRESH_PAUSE = Duration.ofSeconds(1);

  /** The longest wait between two attempts to reconnect to a node. */
  static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);

  private final RedisSettings settings;
  private final ClientResources resources;
  private final AbstractRedisClient client;
  private final StatefulConnection<String, String> connection;
  private final RedisClusterAsyncCommands<String, String> commands;

  private RedisStore(
      RedisSettings settings,
      ClientResources resources,
      AbstractRedisClient client,
      StatefulConnection<String, String> connection,
      RedisClusterAsyncCommands<String, String> commands) {
    this.settings = settings;
    this.resources = resources;
    this.client = client;
    this.connection = connection;
    this.commands = commands;
  }

  /**
   * Connects; fails when Redis cannot be reached now (callers decide whether to retry at start).
   */
  public static RedisStore connect(RedisSettings settings) {
    return connect(
        settings,
        DefaultClientResources.builder()
            .ioThreadPoolSize(2)
            .computationThreadPoolSize(2)
            .reconnectDelay(
                Delay.exponential(
                    Duration.ofMillis(10), MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
            .build());
  }

  public static RedisStore connect(RedisSettings settings, ClientResources resources) {
    TimeoutOptions timeouts = TimeoutOptions.enabled(settings.commandTimeout());
    SocketOptions socket =
        SocketOptions.builder()
            .connectTimeout(settings.commandTimeout().multipliedBy(2))
            .keepAlive(true)
            .tcpNoDelay(true)
            .build();
    if (settings.cluster()) {
      List<RedisURI> uris = settings.uris().stream().map(u -> toRedisUri(u, settings)).toList();
      RedisClusterClient client = new NewestConfigClusterClient(resources, uris);
      client.setOptions(
          ClusterClientOptions.builder()
              .timeoutOptions(timeouts)
              .socketOptions(socket)
              .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
              .topologyRefreshOptions(
                  ClusterTopologyRefreshOptions.builder()
                      .enablePeriodicRefresh(TOPOLOGY_REFRESH)
                      .enableAllAdaptiveRefreshTriggers()
                      .adaptiveRefreshTriggersTimeout(ADAPTIVE_REFRESH_PAUSE)
                      .refreshTriggersReconnectAttempts(2)
                      .build())
              .nodeFilter(node -> !isGivenUp(node))
              .build());
      try {
        StatefulRedisClusterConnection<String, String> connection = client.connect();
        RedisStore store =
            new RedisStore(settings, resources, client, connection, connection.async());
        store.connectEveryMaster();
        return store;
      } catch (RuntimeException e) {
        shutdown(client, resources);
        throw e;
      }
    }
    RedisClient client =
        RedisClient.create(resources, toRedisUri(settings.uris().get(0), settings));
    client.setOptions(
        ClientOptions.builder()
            .timeoutOptions(timeouts)
            .socketOptions(socket)
            .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
            .build());
    try {
      StatefulRedisConnection<String, String> connection = client.connect();
      return new RedisStore(settings, resources, client, connection, connection.async());
    } catch (RuntimeException e) {
      shutdown(client, resources);
      throw e;
    }
  }

  /**
   * Whether the cluster has given a node up: flagged failed and serving no slots, like a dead
   * master whose replica took over. Such a node stays listed by Redis until it is forgotten; the
   * client leaves it out of its view, so it closes its connection to the node, and neither
   * reconnects nor topology refreshes keep calling a dead address. A failed master that still
   * serves slots stays in the view: its slots have no other node yet.
   */
  static boolean isGivenUp(RedisClusterNode node) {
    return node.is(RedisClusterNode.NodeFlag.FAIL) && node.getSlots().isEmpty();
  }

  /**
   * The masters as the client sees the topology now: nodes flagged master that serve slots and are
   * not marked failed. A failed master that lost its slots to a replica stays listed by Redis until
   * it is forgotten; it is left out. So is a master without slots: a view taken while a replica was
   * joining may still list it as an empty master (writing to it fails with READONLY), and a master
   * that really is new and empty needs nothing until slots move to it (redis-cli add-node copies
   * the library onto it; otherwise the first call that finds the library missing loads it).
   */
  private static List<RedisClusterNode> servingMasters(
      StatefulRedisClusterConnection<String, String> cluster) {
    List<RedisClusterNode> masters = new ArrayList<>();
    for (RedisClusterNode node : cluster.getPartitions()) {
      if (node.is(RedisClusterNode.NodeFlag.UPSTREAM)
          && !node.is(RedisClusterNode.NodeFlag.FAIL)
          && !node.is(RedisClusterNode.NodeFlag.NOADDR)
          && !node.getSlots().isEmpty()) {
        masters.add(node);
      }
    }
    return masters;
  }

  private static RedisURI toRedisUri(URI uri, RedisSettings settings) {
    RedisURI redisUri = RedisURI.create(uri);
    redisUri.setTimeout(settings.commandTimeout());
    return redisUri;
  }

  public RedisSettings settings() {
    return settings;
  }

  public String prefix() {
    return settings.prefix();
  }

  public boolean isCluster() {
    return settings.cluster();
  }

  /**
   * The shared asynchronous commands; on a cluster, routed by each command's key slot. Only this
   * package sends commands: every other piece calls the typed methods of the Redis contract.
   */
  RedisClusterAsyncCommands<String, String> commands() {
    return commands;
  }

  /**
   * Opens the connection to every master now (Lettuce would open each on the first command routed
   * to it), so that connecting fails at once when a master cannot be reached. On failure the caller
   * shuts the client down, which closes its connections.
   */
  private void connectEveryMaster() {
    try {
      onEveryMaster(c -> c.ping().toCompletableFuture())
          .get(settings.commandTimeout().multipliedBy(4).toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RedisConnectionException("interrupted while connecting to the cluster's masters");
    } catch (ExecutionException | TimeoutException e) {
      throw new RedisConnectionException(
          "cannot connect to every master of " + settings.describe(), e);
    }
  }

  /**
   * Runs a command on every master (the one server when not on a cluster) and collects the results
   * in node order. On a cluster the topology is refreshed first, so a master added a moment ago is
   * included (a process that meets a master without the library loads it there this way); masters
   * marked failed are left out. The refresh and each connection wait at most twice the command
   * timeout (a frozen node accepts connections and answers nothing); when the refresh does not
   * finish in time, the current view is used. The result fails when the command fails on any
   * master.
   */
  <T> CompletableFuture<List<T>> onEveryMaster(
      Function<RedisClusterAsyncCommands<String, String>, CompletableFuture<T>> command) {
    return askEveryMaster(command)
        .thenCompose(
            replies -> {
              List<T> values = new ArrayList<>(replies.size());
              for (MasterReply<T> reply : replies) {
                if (reply.failure() != null) {
                  return CompletableFuture.failedFuture(reply.failure());
                }
                values.add(reply.value());
              }
              return CompletableFuture.completedFuture(values);
            });
  }

  /** One master's answer to {@link #askEveryMaster}: a value, or the failure that stands for it. */
  public record MasterReply<T>(String node, T value, Throwable failure) {}

  /**
   * Like {@link #onEveryMaster}, but one master's failure (it cannot be reached, it answered an
   * error) is that master's reply instead of the whole result's: the result never fails, and holds
   * one reply per master, naming it by address ({@code host:port}).
   */
  <T> CompletableFuture<List<MasterReply<T>>> askEveryMaster(
      Function<RedisClusterAsyncCommands<String, String>, CompletableFuture<T>> command) {
    if (!(connection instanceof StatefulRedisClusterConnection<String, String> cluster)) {
      String node = settings.uris().get(0).getAuthority();
      return settle(node, () -> command.apply(commands)).thenApply(List::of);
    }
    long waitMillis = settings.commandTimeout().multipliedBy(2).toMillis();
    return ((RedisClusterClient) client)
        .refreshPartitionsAsync()
        .toCompletableFuture()
        .orTimeout(waitMillis, TimeUnit.MILLISECONDS)
        .exceptionally(e -> null)
        .thenCompose(
            refreshed -> {
              List<CompletableFuture<MasterReply<T>>> replies = new ArrayList<>();
              for (RedisClusterNode node : servingMasters(cluster)) {
                String address = node.getUri().getHost() + ":" + node.getUri().getPort();
                replies.add(
                    settle(
                        address,
                        () ->
                            cluster
                                .getConnectionAsync(node.getNodeId())
                                .toCompletableFuture()
                                .orTimeout(waitMillis, TimeUnit.MILLISECONDS)
                                .thenCompose(c -> command.apply(c.async()))));
              }
              return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new))
                  .thenApply(v -> replies.stream().map(CompletableFuture::join).toList());
            });
  }

  private static <T> CompletableFuture<MasterReply<T>> settle(
      String node, Supplier<CompletableFuture<T>> call) {
    CompletableFuture<T> started;
    try {
      started = call.get();
    } catch (RuntimeException e) {
      started = CompletableFuture.failedFuture(e);
    }
    return started.handle(
        (value, failure) ->
            failure == null
                ? new MasterReply<>(node, value, null)
                : new MasterReply<>(node, null, RedisReplies.unwrap(failure)));
  }

  /**
   * Every key matching a pattern (and of a type, unless null) on every master, by SCAN (never
   * KEYS): bounded work per call, so Redis keeps serving while a sweep walks a large keyspace.
   */
  List<String> scan(String pattern, String type, Duration timeout) {
    List<List<String>> perNode =
        onEveryMaster(c -> scanAll(c, pattern, type))
            .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
            .join();
    List<String> keys = new ArrayList<>();
    perNode.forEach(keys::addAll);
    return keys;
  }

  private static CompletableFuture<List<String>> scanAll(
      RedisClusterAsyncCommands<String, String> node, String pattern, String type) {
    List<String> keys = new ArrayList<>();
    return scanFrom(
            node, ScanCursor.INITIAL, new KeyScanArgs().match(pattern).type(type).limit(1000), keys)
        .thenApply(v -> keys);
  }

  private static CompletableFuture<Void> scanFrom(
      RedisClusterAsyncCommands<String, String> node,
      ScanCursor cursor,
      ScanArgs args,
      List<String> keys) {
    return ((RedisAsyncCommands<String, String>) node)
        .scan(cursor, args)
        .toCompletableFuture()
        .thenCompose(
            (KeyScanCursor<String> page) -> {
              keys.addAll(page.getKeys());
              return page.isFinished()
                  ? CompletableFuture.completedFuture(null)
                  : scanFrom(node, page, args, keys);
            });
  }

  /** A new connection for pub/sub (subscribers need one of their own). */
  StatefulRedisPubSubConnection<String, String> connectPubSub() {
    if (client instanceof RedisClusterClient cluster) {
      return cluster.connectPubSub();
    }
    return ((RedisClient) client).connectPubSub();
  }

  /** Publishes a message; on a cluster the message reaches subscribers on every node. */
  CompletableFuture<Long> publish(String channel, String message) {
    return commands.publish(channel, message).toCompletableFuture();
  }

  /**
   * A server setting ({@code CONFIG GET}) of the node the connection's default routing picks (the
   * one server; on a cluster, a master): empty when the server has no such setting.
   */
  public CompletableFuture<Optional<String>> config(String parameter) {
    return commands
        .configGet(parameter)
        .toCompletableFuture()
        .thenApply(values -> Optional.ofNullable(values.get(parameter)));
  }

  /**
   * {@code INFO} of these sections on every master, in node order (see {@link #onEveryMaster}): per
   * master, the sections' text one after the other.
   */
  public CompletableFuture<List<String>> infoOnEveryMaster(String... sections) {
    return onEveryMaster(
        node -> {
          CompletableFuture<String> text = CompletableFuture.completedFuture("");
          for (String section : sections) {
            CompletableFuture<String> next = node.info(section).toCompletableFuture();
            text = text.thenCombine(next, String::concat);
          }
          return text;
        });
  }

  /** One command the server logged as slow ({@code SLOWLOG GET}). */
  public record SlowCommand(long startedAtEpochSecond, long durationMicros) {}

  /**
   * The newest {@code count} commands the server logged as slow, newest first, of the node the
   * connection's default routing picks (the one server).
   */
  public CompletableFuture<List<SlowCommand>> slowCommands(int count) {
    return commands
        .slowlogGet(count)
        .toCompletableFuture()
        .thenApply(
            log ->
                log.stream()
                    .map(
                        entry -> {
                          List<?> fields = (List<?>) entry;
                          return new SlowCommand(
                              ((Number) fields.get(1)).longValue(),
                              ((Number) fields.get(2)).longValue());
                        })
                    .toList());
  }

  @Override
  public void close() {
    connection.close();
    shutdown(client, resources);
  }

  /**
   * A cluster client that, when the nodes it asks disagree about the topology, believes those that
   * have seen the newest slot configuration, the way Redis Cluster itself settles conflicts (by
   * config epoch). Without this, a view from a node that has not caught up yet (a replica just back
   * from a pause, a node just added) could win Lettuce's vote and keep routing a failed-over slot
   * to its dead master until the next refresh, and again if the next vote went the same way.
   */
  private static final class NewestConfigClusterClient extends RedisClusterClient {
    NewestConfigClusterClient(ClientResources resources, List<RedisURI> uris) {
      super(resources, uris);
    }

    @Override
    protected Partitions determinePartitions(
        Partitions current, Map<RedisURI, Partitions> topologyViews) {
      long newest = -1;
      for (Partitions view : topologyViews.values()) {
        newest = Math.max(newest, newestSlotEpoch(view));
      }
      Map<RedisURI, Partitions> newestViews = new LinkedHashMap<>();
      for (Map.Entry<RedisURI, Partitions> view : topologyViews.entrySet()) {
        if (newestSlotEpoch(view.getValue()) == newest) {
          newestViews.put(view.getKey(), view.getValue());
        }
      }
      if (newestViews.size() < topologyViews.size() && log.isDebugEnabled()) {
        log.debug(
            "Cluster views disagree: {} of {} show the newest slot configuration (epoch {}): {}",
            newestViews.size(),
            topologyViews.size(),
            newest,
            newestViews.keySet());
      }
      return super.determinePartitions(
          current, newestViews.isEmpty() ? topologyViews : newestViews);
    }

    /** The highest config epoch among the masters that serve slots in one node's view. */
    private static long newestSlotEpoch(Partitions view) {
      long newest = -1;
      for (RedisClusterNode node : view) {
        if (node.is(RedisClusterNode.NodeFlag.UPSTREAM) && !node.getSlots().isEmpty()) {
          newest = Math.max(newest, node.getConfigEpoch());
        }
      }
      return newest;
    }
  }

  private static void shutdown(AbstractRedisClient client, ClientResources resources) {
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    resources.shutdown(0, 2, TimeUnit.SECONDS);
  }
}
