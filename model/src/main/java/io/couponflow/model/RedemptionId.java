package io.couponflow.model;

import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The id of a redemption: {@code <couponId>.<orderId>.<generation>}, for example {@code
 * 42.SO-123.1}. Clients treat it as opaque; the service reads the coupon and the order out of it,
 * so finding a redemption never needs a scan. The generation counts the redemptions the order has
 * had of this coupon: an order whose redemption was reversed may redeem again, under generation 2.
 */
public record RedemptionId(long couponId, String orderId, int generation) {
  private static final Pattern FORMAT =
      Pattern.compile("([1-9][0-9]{0,18})\\.(" + Ids.ID_REGEX + ")\\.([1-9][0-9]{0,8})");

  public RedemptionId {
    if (couponId <= 0) {
      throw new IllegalArgumentException("couponId: " + couponId + " (expected: > 0)");
    }
    Objects.requireNonNull(orderId, "orderId");
    if (!Ids.isId(orderId)) {
      throw new IllegalArgumentException("orderId: must be " + Ids.ID_RULE);
    }
    if (generation < 1) {
      throw new IllegalArgumentException("generation: " + generation + " (expected: >= 1)");
    }
  }

  /** Reads an id, or empty when the text is not one this service could have issued. */
  public static Optional<RedemptionId> parse(String text) {
    if (text == null || text.length() > 100) {
      return Optional.empty();
    }
    var m = FORMAT.matcher(text);
    if (!m.matches()) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          new RedemptionId(Long.parseLong(m.group(1)), m.group(2), Integer.parseInt(m.group(3))));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    return couponId + "." + orderId + "." + generation;
  }
}
