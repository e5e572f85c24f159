package io.couponflow.lua;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * The names of one coupon's keys. Every name carries the coupon's hash tag, so on Redis Cluster all
 * of them live in one slot and one function call may touch them all. The layout is described at the
 * top of {@code couponflow.lua}.
 *
 * <p>Thread-safety: immutable.
 */
public record CouponKeys(String prefix, long couponId, int buckets) {

  public CouponKeys {
    if (couponId <= 0) {
      throw new IllegalArgumentException("couponId: " + couponId + " (expected: > 0)");
    }
    if (buckets < 1 || Integer.bitCount(buckets) != 1) {
      throw new IllegalArgumentException("buckets: " + buckets + " (expected: a power of two)");
    }
  }

  private String base() {
    return prefix + ":{" + couponId + "}:";
  }

  public String meta() {
    return base() + "m";
  }

  public String users(String userId) {
    return base() + "u:" + bucket(userId, buckets);
  }

  public String orders(String orderId) {
    return base() + "o:" + bucket(orderId, buckets);
  }

  public String idempotency(String idempotencyKey) {
    return base() + "i:" + bucket(idempotencyKey, buckets);
  }

  /** Bucket {@code b} of the per-user counts (for reading a coupon whole). */
  public String usersBucket(int b) {
    return base() + "u:" + checkBucket(b);
  }

  /** Bucket {@code b} of the per-order records. */
  public String ordersBucket(int b) {
    return base() + "o:" + checkBucket(b);
  }

  /** Bucket {@code b} of the idempotency keys. */
  public String idempotencyBucket(int b) {
    return base() + "i:" + checkBucket(b);
  }

  private int checkBucket(int b) {
    if (b < 0 || b >= buckets) {
      throw new IllegalArgumentException("bucket: " + b + " (expected: 0.." + (buckets - 1) + ")");
    }
    return b;
  }

  public String history() {
    return base() + "h";
  }

  public String outbox() {
    return base() + "x";
  }

  /** The meta key of a coupon, when the bucket count is not known yet. */
  public static String meta(String prefix, long couponId) {
    return prefix + ":{" + couponId + "}:m";
  }

  /** The outbox key of a coupon. */
  public static String outbox(String prefix, long couponId) {
    return prefix + ":{" + couponId + "}:x";
  }

  /** The pattern matching every coupon's meta key, for SCAN. */
  public static String metaPattern(String prefix) {
    return prefix + ":{*}:m";
  }

  /** The pattern matching every key of one coupon, for SCAN. */
  public static String couponPattern(String prefix, long couponId) {
    return prefix + ":{" + couponId + "}:*";
  }

  /** The pattern matching every key under the prefix (coupons, the hot set), for SCAN. */
  public static String prefixPattern(String prefix) {
    return prefix + ":*";
  }

  /** The pattern matching every coupon's outbox key, for SCAN. */
  public static String outboxPattern(String prefix) {
    return prefix + ":{*}:x";
  }

  /** The coupon id in an outbox (or any) key of this prefix, or -1. */
  public static long couponIdOf(String key) {
    int open = key.indexOf('{');
    int close = key.indexOf('}', open + 1);
    if (open < 0 || close < 0) {
      return -1;
    }
    try {
      return Long.parseLong(key.substring(open + 1, close));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** {@code crc32(utf8(text)) mod buckets}: the bucket a user, order or key falls into. */
  public static int bucket(String text, int buckets) {
    CRC32 crc = new CRC32();
    crc.update(text.getBytes(StandardCharsets.UTF_8));
    return (int) (crc.getValue() & (buckets - 1));
  }
}
