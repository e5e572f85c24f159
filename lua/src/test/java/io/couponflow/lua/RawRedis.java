package io.couponflow.lua;

import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Raw Redis access for tests only, for what no typed call of the Redis contract does: planting
 * faults, reading keys byte for byte, subscribing by hand. The main code keeps these
 * package-private, so that nothing outside the lua module sends a command of its own.
 */
public final class RawRedis {
  private RawRedis() {}

  /** The store's shared asynchronous commands. */
  public static RedisClusterAsyncCommands<String, String> commands(RedisStore redis) {
    return redis.commands();
  }

  /** A new pub/sub connection of the store's client. */
  public static StatefulRedisPubSubConnection<String, String> connectPubSub(RedisStore redis) {
    return redis.connectPubSub();
  }

  /** Every key matching the pattern (and of the type, unless null) on every master. */
  public static List<String> scan(RedisStore redis, String pattern, String type, Duration timeout) {
    return redis.scan(pattern, type, timeout);
  }

  /** Runs a command on every master (see {@link RedisStore#onEveryMaster}). */
  public static <T> CompletableFuture<List<T>> onEveryMaster(
      RedisStore redis,
      Function<RedisClusterAsyncCommands<String, String>, CompletableFuture<T>> command) {
    return redis.onEveryMaster(command);
  }

  /** The library version on one node, 0 when it is not loaded. */
  public static CompletableFuture<Integer> installedVersion(
      RedisClusterAsyncCommands<String, String> node) {
    return CouponLibrary.installedVersion(node);
  }
}
