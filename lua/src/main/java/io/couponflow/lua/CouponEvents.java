package io.couponflow.lua;

import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

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
 * Channel: {@code <prefix>:events}. The preheat job also keeps the ids it loaded in the {@link
 * HotSet}, so a gateway that starts later warms itself from there.
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

  /** A subscription to the channel; closing it ends it. */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * Subscribes to the events channel on a connection of its own. Every message of the channel goes
   * to {@code listener}, raw (read it with {@link #parse}), on a Redis client thread. The client
   * subscribes again by itself after a reconnect; messages sent meanwhile are missed.
   */
  public static Subscription subscribe(RedisStore redis, Consumer<String> listener) {
    String channel = channel(redis.prefix());
    StatefulRedisPubSubConnection<String, String> connection = redis.connectPubSub();
    connection.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String from, String message) {
            if (channel.equals(from)) {
              listener.accept(message);
            }
          }
        });
    try {
      connection.sync().subscribe(channel);
    } catch (RuntimeException e) {
      connection.close();
      throw e;
    }
    return connection::close;
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
