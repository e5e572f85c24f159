package io.couponflow.lua;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The pub/sub messages that keep every gateway's local coupon tier in step with Redis. They are
 * hints, not state: a gateway that misses one still converges through its refresh.
 *
 * <ul>
 *   <li>{@code changed <id>}: a definition, status or stock changed (create, pause, resume,
 *       restock, reversal); drop and reload the entry
 *   <li>{@code loaded <id> <id> ...}: the preheat job loaded these coupons; warm them
 * </ul>
 *
 * Channel: {@code <prefix>:events}. The preheat job also keeps the ids it loaded in the set {@link
 * #hotSetKey}, so a gateway that starts later warms itself from there.
 */
public final class CouponEvents {
  /** The kinds of event. */
  public enum Kind {
    CHANGED,
    LOADED
  }

  /** One parsed message. */
  public record Event(Kind kind, List<Long> couponIds) {}

  private CouponEvents() {}

  public static String channel(String prefix) {
    return prefix + ":events";
  }

  /** The set of coupon ids the preheat job loaded; gateways warm these at start. */
  public static String hotSetKey(String prefix) {
    return prefix + ":hot";
  }

  public static String changed(long couponId) {
    return "changed " + couponId;
  }

  public static String loaded(Collection<Long> couponIds) {
    StringBuilder b = new StringBuilder("loaded");
    for (long id : couponIds) {
      b.append(' ').append(id);
    }
    return b.toString();
  }

  /** Reads a message; empty when it is not one of these. */
  public static Optional<Event> parse(String message) {
    String[] parts = message.trim().split(" +");
    Kind kind;
    switch (parts[0]) {
      case "changed" -> kind = Kind.CHANGED;
      case "loaded" -> kind = Kind.LOADED;
      default -> {
        return Optional.empty();
      }
    }
    List<Long> ids = new ArrayList<>(parts.length - 1);
    for (int i = 1; i < parts.length; i++) {
      try {
        ids.add(Long.parseLong(parts[i]));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }
    return Optional.of(new Event(kind, ids));
  }
}
