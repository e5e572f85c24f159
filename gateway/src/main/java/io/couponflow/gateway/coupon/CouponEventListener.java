package io.couponflow.gateway.coupon;

import io.couponflow.lua.CouponEvents;
import io.couponflow.lua.RedisStore;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ValueScanCursor;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the local coupon tier in step with what other processes change: subscribes to the
 * couponflow events channel ({@link CouponEvents}), and at start warms the coupons the preheat job
 * marked hot. Lettuce resubscribes by itself after a reconnect; a missed message only delays an
 * update until the entry's next refresh.
 */
public final class CouponEventListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CouponEventListener.class);

  private final RedisStore redis;
  private final CouponDirectory coupons;
  private final StatefulRedisPubSubConnection<String, String> connection;

  public CouponEventListener(RedisStore redis, CouponDirectory coupons) {
    this.redis = redis;
    this.coupons = coupons;
    this.connection = redis.connectPubSub();
    String channel = CouponEvents.channel(redis.prefix());
    connection.addListener(
        new RedisPubSubAdapter<>() {
          @Override
          public void message(String from, String message) {
            if (channel.equals(from)) {
              apply(message);
            }
          }
        });
    connection.sync().subscribe(channel);
  }

  void apply(String message) {
    CouponEvents.parse(message)
        .ifPresentOrElse(
            event -> {
              for (long id : event.couponIds()) {
                if (event.kind() == CouponEvents.Kind.CHANGED) {
                  coupons.invalidate(id);
                } else {
                  coupons.warm(id);
                }
              }
            },
            () -> log.debug("Ignoring unknown coupon event '{}'", message));
  }

  /** Loads every coupon in the preheat job's hot set into the local tier; returns how many. */
  public int warmHotSet(Duration timeout) {
    String key = CouponEvents.hotSetKey(redis.prefix());
    int warmed = 0;
    ScanCursor cursor = ScanCursor.INITIAL;
    try {
      do {
        ValueScanCursor<String> page =
            redis
                .commands()
                .sscan(key, cursor, ScanArgs.Builder.limit(1000))
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        for (String id : page.getValues()) {
          try {
            coupons.warm(Long.parseLong(id));
            warmed++;
          } catch (NumberFormatException e) {
            log.debug("Ignoring '{}' in {}", id, key);
          }
        }
        cursor = page;
      } while (!cursor.isFinished());
    } catch (Exception e) {
      log.warn("Could not warm the hot set from {}: {}", key, e.toString());
    }
    if (warmed > 0) {
      log.info("Warming {} hot coupons from {}", warmed, key);
    }
    return warmed;
  }

  @Override
  public void close() {
    connection.close();
  }
}
