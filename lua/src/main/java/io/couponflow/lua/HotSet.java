package io.couponflow.lua;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.ValueScanCursor;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coupons the preheat job loaded, which a gateway that starts later warms itself from: a set of
 * coupon ids ({@code <prefix>:hot}) and, beside it, each one's end ({@code <prefix>:hot:ends}, a
 * sorted set scored by the end in ms), so that ended coupons leave the set. Neither key belongs to
 * one coupon, so these are plain commands, not library functions; on a cluster the two keys may be
 * on two masters, and each command is atomic on its own.
 *
 * <p>Thread-safety: safe for use by many threads; nothing blocks.
 */
public final class HotSet {
  private static final Logger log = LoggerFactory.getLogger(HotSet.class);
  private static final int SCAN_PAGE = 1000;

  private final RedisStore redis;
  private final String key;
  private final String endsKey;

  public HotSet(RedisStore redis) {
    this.redis = redis;
    this.key = redis.prefix() + ":hot";
    this.endsKey = key + ":ends";
  }

  /** The set's key, for messages. */
  public String describe() {
    return key;
  }

  /** Adds coupons, each with its end, to the hot set. */
  public CompletableFuture<Void> add(Map<Long, Instant> ends) {
    if (ends.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    String[] ids = new String[ends.size()];
    @SuppressWarnings("unchecked")
    ScoredValue<String>[] scored = new ScoredValue[ends.size()];
    int i = 0;
    for (Map.Entry<Long, Instant> e : ends.entrySet()) {
      ids[i] = Long.toString(e.getKey());
      scored[i] = ScoredValue.just((double) e.getValue().toEpochMilli(), ids[i]);
      i++;
    }
    return CompletableFuture.allOf(
        redis.commands().sadd(key, ids).toCompletableFuture(),
        redis.commands().zadd(endsKey, scored).toCompletableFuture());
  }

  /**
   * Removes up to {@code limit} coupons that ended before {@code now} from the hot set; returns how
   * many it removed (0 when none is left).
   */
  public CompletableFuture<Integer> pruneEnded(Instant now, int limit) {
    return redis
        .commands()
        .zrangebyscore(
            endsKey,
            Range.create(Double.NEGATIVE_INFINITY, (double) now.toEpochMilli()),
            Limit.create(0, limit))
        .toCompletableFuture()
        .thenCompose(
            ended -> {
              if (ended.isEmpty()) {
                return CompletableFuture.completedFuture(0);
              }
              String[] ids = ended.toArray(String[]::new);
              return CompletableFuture.allOf(
                      redis.commands().srem(key, ids).toCompletableFuture(),
                      redis.commands().zrem(endsKey, ids).toCompletableFuture())
                  .thenApply(v -> ids.length);
            });
  }

  /** Every coupon id in the hot set, read by SSCAN; members that are no coupon id are skipped. */
  public CompletableFuture<List<Long>> members() {
    List<Long> ids = new ArrayList<>();
    return scanFrom(ScanCursor.INITIAL, ids).thenApply(v -> ids);
  }

  private CompletableFuture<Void> scanFrom(ScanCursor cursor, List<Long> ids) {
    return redis
        .commands()
        .sscan(key, cursor, ScanArgs.Builder.limit(SCAN_PAGE))
        .toCompletableFuture()
        .thenCompose(
            (ValueScanCursor<String> page) -> {
              for (String id : page.getValues()) {
                try {
                  ids.add(Long.parseLong(id));
                } catch (NumberFormatException e) {
                  log.debug("Ignoring '{}' in {}", id, key);
                }
              }
              return page.isFinished()
                  ? CompletableFuture.completedFuture(null)
                  : scanFrom(page, ids);
            });
  }

  /** How many coupons the hot set holds. */
  public CompletableFuture<Long> size() {
    return redis.commands().scard(key).toCompletableFuture();
  }
}
