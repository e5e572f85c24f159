package io.couponflow.lua;

import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The redemption record as the library stores it ({@code gen|user|amount|discount|acceptedAtMs|A|}
 * or {@code ...|R|reversedAtMs}, described at the top of {@code couponflow.lua}): the one Java
 * reader and writer of it.
 */
final class RecordFormat {
  private static final Pattern RECORD =
      Pattern.compile("(\\d+)\\|([^|]*)\\|(\\d+)\\|(\\d+)\\|(\\d+)\\|([AR])\\|(\\d*)");

  private RecordFormat() {}

  static Redemption parse(long couponId, String orderId, String value) {
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
    return new Redemption(
        new RedemptionId(couponId, orderId, Integer.parseInt(m.group(1))),
        m.group(2),
        Long.parseLong(m.group(3)),
        Long.parseLong(m.group(4)),
        reversed ? RedemptionStatus.REVERSED : RedemptionStatus.ACCEPTED,
        Instant.ofEpochMilli(Long.parseLong(m.group(5))),
        reversed ? Instant.ofEpochMilli(Long.parseLong(m.group(7))) : null);
  }

  static String format(Redemption r) {
    boolean reversed = r.status() == RedemptionStatus.REVERSED;
    return r.redemptionId().generation()
        + "|"
        + r.userId()
        + "|"
        + r.orderAmountCents()
        + "|"
        + r.discountCents()
        + "|"
        + r.acceptedAt().toEpochMilli()
        + (reversed ? "|R|" + r.reversedAt().toEpochMilli() : "|A|");
  }

  /** The history hash's field of a redemption: {@code orderId.generation}. */
  static String historyField(RedemptionId id) {
    return id.orderId() + "." + id.generation();
  }

  /** The redemption an idempotency bucket's value ({@code orderId.generation}) names. */
  static RedemptionId target(long couponId, String value) {
    int dot = value.lastIndexOf('.');
    if (dot <= 0) {
      throw new IllegalStateException(
          "coupon " + couponId + ": unreadable idempotency target: " + value);
    }
    return new RedemptionId(
        couponId, value.substring(0, dot), Integer.parseInt(value.substring(dot + 1)));
  }
}
