package io.couponflow.lua;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Work on whole stretches of the keyspace under one prefix, found by SCAN on every master: what a
 * coupon's keys weigh, and deleting them. For benches, tests and tools; no request path uses it,
 * and no deployable deletes a coupon.
 *
 * <p>Thread-safety: safe for use by many threads; each method blocks until done or {@code timeout}.
 */
public final class Keyspace {
  /** Keys per UNLINK on a single server, and UNLINKs in flight at once. */
  private static final int CHUNK = 500;

  private static final int IN_FLIGHT = 20;

  private final RedisStore redis;

  public Keyspace(RedisStore redis) {
    this.redis = redis;
  }

  /** The sum of {@code MEMORY USAGE} over every key of a coupon, in bytes. */
  public long memoryUsage(long couponId, Duration timeout) {
    long sum = 0;
    for (String key : keysOf(couponId, timeout)) {
      Long bytes = join(redis.commands().memoryUsage(key).toCompletableFuture(), timeout);
      sum += bytes == null ? 0 : bytes;
    }
    return sum;
  }

  /** Deletes every key of one coupon; returns how many there were. */
  public long deleteCoupon(long couponId, Duration timeout) {
    return unlink(keysOf(couponId, timeout), timeout);
  }

  /** Deletes every key under the prefix (coupons and the hot set); returns how many there were. */
  public long deleteAll(Duration timeout) {
    return unlink(redis.scan(CouponKeys.prefixPattern(redis.prefix()), null, timeout), timeout);
  }

  /** Every key of one coupon (live or fenced), on every master. */
  public List<String> keysOf(long couponId, Duration timeout) {
    return redis.scan(CouponKeys.couponPattern(redis.prefix(), couponId), null, timeout);
  }

  /**
   * Unlinks the keys, a bounded number of commands in flight: on a cluster one key per command (the
   * keys live in many slots), else {@value #CHUNK} per command.
   */
  private long unlink(List<String> keys, Duration timeout) {
    List<CompletableFuture<Long>> pending = new ArrayList<>();
    for (int i = 0; i < keys.size(); i += CHUNK) {
      List<String> chunk = keys.subList(i, Math.min(keys.size(), i + CHUNK));
      if (redis.isCluster()) {
        chunk.forEach(k -> pending.add(redis.commands().unlink(k).toCompletableFuture()));
      } else {
        pending.add(redis.commands().unlink(chunk.toArray(String[]::new)).toCompletableFuture());
      }
      if (pending.size() >= IN_FLIGHT) {
        await(pending, timeout);
      }
    }
    await(pending, timeout);
    return keys.size();
  }

  private static void await(List<CompletableFuture<Long>> pending, Duration timeout) {
    join(CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)), timeout);
    pending.clear();
  }

  /** Waits at most {@code timeout}; failures are mapped by {@link RedisReplies#map}. */
  private static <T> T join(CompletableFuture<T> future, Duration timeout) {
    try {
      return future.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
    } catch (RuntimeException e) {
      throw RedisReplies.map(e);
    }
  }
}
