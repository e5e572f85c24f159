package io.couponflow.gateway.coupon;

import io.couponflow.lua.CouponEvents;
import io.couponflow.lua.HotSet;
import io.couponflow.lua.RedisStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the local coupon tier in step with what other processes change: subscribes to the
 * couponflow events channel ({@link CouponEvents}), and at start warms the coupons the preheat job
 * marked hot ({@link HotSet}). The subscription resubscribes by itself after a reconnect; a missed
 * message only delays an update until the entry's next refresh.
 */
public final class CouponEventListener implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CouponEventListener.class);

  private final HotSet hot;
  private final CouponDirectory coupons;
  private final CouponEvents.Subscription subscription;

  public CouponEventListener(RedisStore redis, CouponDirectory coupons) {
    this.hot = new HotSet(redis);
    this.coupons = coupons;
    this.subscription = CouponEvents.subscribe(redis, this::apply);
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
    int warmed = 0;
    try {
      List<Long> ids = hot.members().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      for (long id : ids) {
        coupons.warm(id);
        warmed++;
      }
    } catch (Exception e) {
      log.warn("Could not warm the hot set from {}: {}", hot.describe(), e.toString());
    }
    if (warmed > 0) {
      log.info("Warming {} hot coupons from {}", warmed, hot.describe());
    }
    return warmed;
  }

  @Override
  public void close() {
    subscription.close();
  }
}
