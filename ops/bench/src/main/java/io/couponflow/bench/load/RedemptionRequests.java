package io.couponflow.bench.load;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code POST /v1/redemptions} requests for one coupon, each with an idempotency key, user and
 * order of its own: {@code k-<tag>-<n>}, {@code u-<tag>-<n>}, {@code o-<tag>-<n>}, where the tag
 * tells runs apart and n counts up.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class RedemptionRequests {
  public static final long ORDER_AMOUNT_CENTS = 35_000;

  private final long couponId;
  private final String tag;
  private final String host;
  private final AtomicLong next = new AtomicLong();

  public RedemptionRequests(long couponId, String tag, String host) {
    if (!tag.matches("[A-Za-z0-9]{1,16}")) {
      throw new IllegalArgumentException("tag: '" + tag + "' (expected: 1-16 letters or digits)");
    }
    this.couponId = couponId;
    this.tag = tag;
    this.host = host;
  }

  public long couponId() {
    return couponId;
  }

  public String tag() {
    return tag;
  }

  /** The next request, whole, as it goes on the wire. */
  public byte[] next() {
    long n = next.getAndIncrement();
    String id = tag + "-" + n;
    String body =
        "{\"couponId\":"
            + couponId
            + ",\"userId\":\"u-"
            + id
            + "\",\"orderId\":\"o-"
            + id
            + "\",\"orderAmountCents\":"
            + ORDER_AMOUNT_CENTS
            + "}";
    String request =
        "POST /v1/redemptions HTTP/1.1\r\nHost: "
            + host
            + "\r\nContent-Type: application/json\r\nIdempotency-Key: k-"
            + id
            + "\r\nContent-Length: "
            + body.length()
            + "\r\n\r\n"
            + body;
    return request.getBytes(StandardCharsets.US_ASCII);
  }
}
