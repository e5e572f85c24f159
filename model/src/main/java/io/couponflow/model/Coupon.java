package io.couponflow.model;

import java.time.Instant;
import java.util.Objects;

/**
 * A coupon campaign as MySQL defines it. Live stock is not here: Redis holds it.
 *
 * @param buckets how many small hashes Redis spreads this coupon's per-user, per-order and
 *     idempotency entries over; fixed when the coupon is created (see {@link #bucketsFor(long)})
 * @param version grows by one with every change of the definition; Redis applies a definition only
 *     when its version is newer than the one it holds
 */
public record Coupon(
    long couponId,
    String name,
    long totalStock,
    int perUserLimit,
    long thresholdCents,
    long discountCents,
    Instant startsAt,
    Instant endsAt,
    CouponStatus status,
    boolean hot,
    int buckets,
    long version) {

  /** Entries one bucket is sized for; Redis keeps hashes this small in its compact encoding. */
  public static final int ENTRIES_PER_BUCKET = 64;

  public static final int MAX_BUCKETS = 1 << 16;

  /**
   * The largest stock, amount or epoch millisecond Redis's Lua holds exactly (2^53 - 1): the
   * library refuses anything larger, so a definition never carries it.
   */
  public static final long MAX_NUMBER = (1L << 53) - 1;

  /** The largest per-user limit the library accepts. */
  public static final int MAX_PER_USER_LIMIT = 999_999_999;

  public static final int MAX_NAME_LENGTH = 200;

  public Coupon {
    if (couponId <= 0) {
      throw new IllegalArgumentException("couponId: " + couponId + " (expected: > 0)");
    }
    Objects.requireNonNull(name, "name");
    if (name.isBlank() || name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException(
          "name: must be 1.." + MAX_NAME_LENGTH + " characters and not blank");
    }
    if (totalStock < 0 || totalStock > MAX_NUMBER) {
      throw new IllegalArgumentException(
          "totalStock: " + totalStock + " (expected: 0.." + MAX_NUMBER + ")");
    }
    if (perUserLimit < 1 || perUserLimit > MAX_PER_USER_LIMIT) {
      throw new IllegalArgumentException(
          "perUserLimit: " + perUserLimit + " (expected: 1.." + MAX_PER_USER_LIMIT + ")");
    }
    if (thresholdCents < 0 || thresholdCents > MAX_NUMBER) {
      throw new IllegalArgumentException(
          "thresholdCents: " + thresholdCents + " (expected: 0.." + MAX_NUMBER + ")");
    }
    if (discountCents <= 0 || discountCents > MAX_NUMBER) {
      throw new IllegalArgumentException(
          "discountCents: " + discountCents + " (expected: 1.." + MAX_NUMBER + ")");
    }
    Objects.requireNonNull(startsAt, "startsAt");
    Objects.requireNonNull(endsAt, "endsAt");
    if (startsAt.isBefore(Instant.EPOCH) || endsAt.isAfter(Instant.ofEpochMilli(MAX_NUMBER))) {
      throw new IllegalArgumentException(
          "startsAt/endsAt: must lie between 1970-01-01T00:00:00Z and "
              + Instant.ofEpochMilli(MAX_NUMBER));
    }
    if (!endsAt.isAfter(startsAt)) {
      throw new IllegalArgumentException(
          "endsAt: " + endsAt + " (expected: after startsAt " + startsAt + ")");
    }
    Objects.requireNonNull(status, "status");
    if (buckets < 1 || buckets > MAX_BUCKETS || Integer.bitCount(buckets) != 1) {
      throw new IllegalArgumentException(
          "buckets: " + buckets + " (expected: a power of two in 1.." + MAX_BUCKETS + ")");
    }
    if (version < 1) {
      throw new IllegalArgumentException("version: " + version + " (expected: >= 1)");
    }
  }

  /**
   * The bucket count for a coupon created with this stock: a power of two that keeps about {@value
   * #ENTRIES_PER_BUCKET} entries in each bucket, leaving room for restocks before a bucket outgrows
   * Redis's compact hash encoding (128 entries by default).
   */
  public static int bucketsFor(long totalStock) {
    long wanted =
        Math.max(
            1, totalStock / ENTRIES_PER_BUCKET + (totalStock % ENTRIES_PER_BUCKET == 0 ? 0 : 1));
    if (wanted >= MAX_BUCKETS) {
      return MAX_BUCKETS;
    }
    int w = (int) wanted;
    return w == 1 ? 1 : Integer.highestOneBit(w - 1) << 1;
  }

  /** Whether redemptions are allowed at this instant: active and inside [startsAt, endsAt). */
  public boolean isLiveAt(Instant now) {
    return status == CouponStatus.ACTIVE && !now.isBefore(startsAt) && now.isBefore(endsAt);
  }

  public Coupon withStatus(CouponStatus newStatus, long newVersion) {
    return new Coupon(
        couponId,
        name,
        totalStock,
        perUserLimit,
        thresholdCents,
        discountCents,
        startsAt,
        endsAt,
        newStatus,
        hot,
        buckets,
        newVersion);
  }
}
