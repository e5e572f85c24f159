package io.couponflow.ops.reconcile;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponKeys;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.ops.OpsContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads every redemption record a coupon holds in Redis: the order buckets ({@code o:<b>}, each
 * order's latest record) and the history hash ({@code h}, records a newer generation replaced), and
 * on demand the idempotency buckets ({@code i:<b>}).
 *
 * <p>No couponflow function lists records, so this reads the hashes with HGETALL, pipelined, and
 * parses the record format documented at the top of {@code couponflow.lua}. It never writes.
 */
final class RedisRecords {
  private static final Pattern RECORD =
      Pattern.compile("(\\d+)\\|([^|]*)\\|(\\d+)\\|(\\d+)\\|(\\d+)\\|([AR])\\|(\\d*)");
  private static final int IN_FLIGHT = 256;

  private RedisRecords() {}

  /** One redemption as Redis records it. */
  record RedisRecord(
      RedemptionId id,
      String userId,
      long amountCents,
      long discountCents,
      Instant acceptedAt,
      Instant reversedAt) {

    boolean reversed() {
      return reversedAt != null;
    }

    Redemption toRedemption() {
      return new Redemption(
          id,
          userId,
          amountCents,
          discountCents,
          reversed() ? RedemptionStatus.REVERSED : RedemptionStatus.ACCEPTED,
          acceptedAt,
          reversedAt);
    }
  }

  /** Every record of the coupon, by redemption id. */
  static Map<String, RedisRecord> read(CouponFunctions functions, long couponId, int buckets) {
    CouponKeys keys = functions.keys(couponId, buckets);
    Map<String, RedisRecord> records = new HashMap<>();
    List<String> orderBuckets = new ArrayList<>(buckets);
    for (int b = 0; b < buckets; b++) {
      orderBuckets.add(keys.ordersBucket(b));
    }
    hashes(functions, orderBuckets, (order, value) -> add(records, parse(couponId, order, value)));
    hashes(
        functions,
        List.of(keys.history()),
        (orderAndGeneration, value) -> {
          int dot = orderAndGeneration.lastIndexOf('.');
          add(records, parse(couponId, orderAndGeneration.substring(0, dot), value));
        });
    return records;
  }

  /** Every idempotency key the coupon still remembers, by the redemption id it led to. */
  static Map<String, String> idempotencyKeys(
      CouponFunctions functions, long couponId, int buckets) {
    CouponKeys keys = functions.keys(couponId, buckets);
    List<String> keyBuckets = new ArrayList<>(buckets);
    for (int b = 0; b < buckets; b++) {
      keyBuckets.add(keys.idempotencyBucket(b));
    }
    Map<String, String> byRedemption = new HashMap<>();
    hashes(
        functions,
        keyBuckets,
        (idempotencyKey, orderAndGeneration) ->
            byRedemption.put(couponId + "." + orderAndGeneration, idempotencyKey));
    return byRedemption;
  }

  private static void add(Map<String, RedisRecord> records, RedisRecord record) {
    records.put(record.id().toString(), record);
  }

  static RedisRecord parse(long couponId, String orderId, String value) {
    Matcher m = RECORD.matcher(value);
    if (!m.matches()) {
      throw new IllegalStateException(
          "coupon "
              + couponId
              + ": unreadable redemption record of order "
              + orderId
              + ": "
              + value);
    }
    boolean reversed = "R".equals(m.group(6));
    return new RedisRecord(
        new RedemptionId(couponId, orderId, Integer.parseInt(m.group(1))),
        m.group(2),
        Long.parseLong(m.group(3)),
        Long.parseLong(m.group(4)),
        Instant.ofEpochMilli(Long.parseLong(m.group(5))),
        reversed ? Instant.ofEpochMilli(Long.parseLong(m.group(7))) : null);
  }

  private static void hashes(
      CouponFunctions functions, List<String> keys, BiConsumer<String, String> each) {
    for (int from = 0; from < keys.size(); from += IN_FLIGHT) {
      List<CompletableFuture<Map<String, String>>> pending = new ArrayList<>();
      for (String key : keys.subList(from, Math.min(keys.size(), from + IN_FLIGHT))) {
        pending.add(functions.redis().commands().hgetall(key).toCompletableFuture());
      }
      for (CompletableFuture<Map<String, String>> hash : pending) {
        OpsContext.await(hash).forEach(each);
      }
    }
  }
}
