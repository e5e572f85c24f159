package io.couponflow.testkit;

import io.couponflow.config.RedisSettings;
import io.couponflow.lua.Counters;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponLibrary;
import io.couponflow.lua.CouponRecords;
import io.couponflow.lua.Keyspace;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RawRedis;
import io.couponflow.lua.RedisStore;
import io.couponflow.lua.RepairEnd;
import io.couponflow.lua.RepairStart;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.List;

/**
 * A test class's view of Redis: the shared test server (or a given one) under a key prefix of the
 * class's own, with the couponflow library loaded. Closing deletes the prefix's keys.
 */
public final class RedisFixture implements AutoCloseable {
  public static final Duration RETENTION = Duration.ofHours(24);

  private final RedisStore redis;
  private final CouponFunctions functions;

  private RedisFixture(String uri, String prefix) {
    // Private servers a test just started are young: repair at once unless a test asks otherwise.
    this.redis = RedisStore.connect(RedisSettings.of(uri, prefix).withRepairSettle(Duration.ZERO));
    loadThisBuildsLibrary();
    this.functions = new CouponFunctions(redis, RETENTION);
  }

  /**
   * Makes every master hold exactly this build's library: a test server may hold another build's (a
   * newer version from another branch's run), which the processes under test would not replace.
   */
  private void loadThisBuildsLibrary() {
    RawRedis.onEveryMaster(
            redis,
            node ->
                RawRedis.installedVersion(node)
                    .thenCompose(
                        found ->
                            found == CouponLibrary.version()
                                ? java.util.concurrent.CompletableFuture.completedFuture(found)
                                : node.functionLoad(CouponLibrary.source(), true)
                                    .toCompletableFuture()
                                    .thenApply(name -> found)))
        .join();
  }

  public static RedisFixture create(Class<?> testClass) {
    return new RedisFixture(TestSettings.redisUri(), prefixFor(testClass));
  }

  public static RedisFixture create(String uri, Class<?> testClass) {
    return new RedisFixture(uri, prefixFor(testClass));
  }

  /** A key prefix of the class's own: {@code t_<class>_<random>} with dashes for underscores. */
  public static String prefixFor(Class<?> testClass) {
    return TestSettings.uniqueName(testClass).replace('_', '-');
  }

  public RedisStore redis() {
    return redis;
  }

  public CouponFunctions functions() {
    return functions;
  }

  /**
   * Raw commands, for what no typed call does (planting faults, reading keys as they are): tests
   * only; the main code has no such access.
   */
  public RedisClusterAsyncCommands<String, String> commands() {
    return RawRedis.commands(redis);
  }

  /** A pub/sub connection of its own, for a test that listens to the events channel. */
  public StatefulRedisPubSubConnection<String, String> connectPubSub() {
    return RawRedis.connectPubSub(redis);
  }

  public String prefix() {
    return redis.prefix();
  }

  /**
   * Every key under this fixture's prefix with its content and expiry (see {@link RedisSnapshot}).
   */
  public RedisSnapshot snapshot() {
    return RedisSnapshot.of(commands(), keys());
  }

  /** The Redis clock, in ms: the time the library's functions see. */
  public long redisTimeMillis() {
    List<String> time = join(commands().time());
    return Long.parseLong(time.get(0)) * 1000 + Long.parseLong(time.get(1)) / 1000;
  }

  /**
   * Makes a fenced coupon live again as it stands in Redis: the repair a coupon gets when MySQL
   * holds nothing Redis lacks (core's CouponRepair does the real one; the lua module's tests have
   * no MySQL). Counters are derived from the records, as a repair derives them.
   *
   * @return false when the coupon was live already
   */
  public boolean unfenceAsIs(long couponId) {
    RepairStart start = join(functions.repairBegin(couponId));
    if (!(start instanceof RepairStart.Fenced fenced)) {
      return false;
    }
    LiveCoupon live = join(functions.coupon(couponId)).orElseThrow();
    CouponRecords records = join(functions.records(couponId, live.buckets()));
    long accepted = records.accepted();
    RepairEnd end =
        join(
            functions.repairEnd(
                couponId,
                fenced.epoch(),
                new Counters(
                    Math.max(0, live.definition().totalStock() - accepted),
                    accepted,
                    records.reversed())));
    if (!(end instanceof RepairEnd.Done)) {
      throw new IllegalStateException("coupon " + couponId + " was not unfenced: " + end);
    }
    return true;
  }

  /** Waits for a Redis reply, at most 30 s. */
  public static <T> T join(java.util.concurrent.CompletionStage<T> reply) {
    try {
      return reply.toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("Redis call failed: " + e.getCause(), e.getCause());
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("Redis call did not finish in 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** Every key under this fixture's prefix, on every master. */
  public List<String> keys() {
    return RawRedis.scan(redis, prefix() + ":*", null, Duration.ofSeconds(30));
  }

  @Override
  public void close() {
    try {
      new Keyspace(redis).deleteAll(Duration.ofSeconds(30));
    } catch (Exception e) {
      // A fault test may have killed this Redis already.
    } finally {
      redis.close();
    }
  }
}
