package io.couponflow.lua;

import io.couponflow.model.Redemption;
import java.util.Map;
import java.util.Optional;

/**
 * One entry of a coupon's outbox stream, as Redis holds it. An accept ({@code t=A}) carries the
 * whole redemption; a reversal ({@code t=R}) carries the redemption id, time and reason. Fields are
 * kept as text: turning them into a row is the sink's job, and a malformed entry must reach the
 * dead-letter table rather than vanish in a parser here.
 *
 * @param id the stream id, {@code <ms>-<seq>} on the Redis clock
 */
public record OutboxEntry(String id, long couponId, Map<String, String> fields) {
  public OutboxEntry {
    fields = Map.copyOf(fields);
  }

  /** The entry {@code cf_redeem} appended for this accepted redemption (same fields). */
  public static OutboxEntry accepted(
      String outboxId, Redemption redemption, String idempotencyKey) {
    return new OutboxEntry(
        outboxId,
        redemption.couponId(),
        Map.of(
            "t", "A",
            "r", redemption.redemptionId().toString(),
            "k", idempotencyKey,
            "u", redemption.userId(),
            "o", redemption.orderId(),
            "a", Long.toString(redemption.orderAmountCents()),
            "d", Long.toString(redemption.discountCents()),
            "at", Long.toString(redemption.acceptedAt().toEpochMilli())));
  }

  /** The entry {@code cf_reverse} appended for this reversal (same fields). */
  public static OutboxEntry reversed(String outboxId, Redemption redemption, String reason) {
    return new OutboxEntry(
        outboxId,
        redemption.couponId(),
        Map.of(
            "t", "R",
            "r", redemption.redemptionId().toString(),
            "u", redemption.userId(),
            "rt", Long.toString(redemption.reversedAt().toEpochMilli()),
            "why", reason == null ? "" : reason));
  }

  /** "A" for an accept, "R" for a reversal; anything else is malformed. */
  public String type() {
    return fields.getOrDefault("t", "");
  }

  public boolean isAccept() {
    return "A".equals(type());
  }

  public boolean isReversal() {
    return "R".equals(type());
  }

  public Optional<String> field(String name) {
    return Optional.ofNullable(fields.get(name));
  }

  /** The Redis time an entry was appended at, from its id. */
  public long appendedAtMillis() {
    return millisOf(id);
  }

  /** The Redis time in a stream entry id ({@code <ms>-<seq>}). */
  public static long millisOf(String streamId) {
    int dash = streamId.indexOf('-');
    return Long.parseLong(dash < 0 ? streamId : streamId.substring(0, dash));
  }
}
