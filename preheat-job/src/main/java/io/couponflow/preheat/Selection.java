package io.couponflow.preheat;

import io.couponflow.config.Env;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.TreeSet;

/**
 * Which coupons a run loads: named ones, every active one, or the ones starting within a window
 * (already active and not ended included) plus every coupon flagged hot. Ended coupons are never
 * selected.
 *
 * @param named coupon ids in ascending order, without duplicates; empty unless named
 * @param allActive every active coupon that has not ended
 * @param window how far ahead of now a coupon may start and still be selected
 */
public record Selection(List<Long> named, boolean allActive, Duration window) {
  static final Instant FAR_FUTURE = Instant.parse("9999-12-31T00:00:00Z");

  public Selection {
    named = List.copyOf(new TreeSet<>(named));
    for (long id : named) {
      if (id <= 0) {
        throw new IllegalArgumentException("--coupon: " + id + " (expected: > 0)");
      }
    }
    if (window.isNegative()) {
      throw new IllegalArgumentException("--window: " + window + " (expected: >= 0)");
    }
  }

  public static Selection ofIds(List<Long> ids) {
    return new Selection(ids, false, Duration.ZERO);
  }

  public static Selection everyActive() {
    return new Selection(List.of(), true, Duration.ZERO);
  }

  public static Selection startingWithin(Duration window) {
    return new Selection(List.of(), false, window);
  }

  public boolean isNamed() {
    return !named.isEmpty();
  }

  /** The latest start a selected coupon may have, seen at {@code now}. */
  Instant horizon(Instant now) {
    if (allActive) {
      return FAR_FUTURE;
    }
    Instant horizon = now.plus(window);
    return horizon.isAfter(FAR_FUTURE) ? FAR_FUTURE : horizon;
  }

  /** Whether hot-flagged coupons are selected whatever their start and status. */
  boolean includesHot() {
    return !allActive && !isNamed();
  }

  /** The same rule MySQL applies, for definitions read from a snapshot. */
  boolean matches(Coupon coupon, Instant now) {
    if (isNamed()) {
      return named.contains(coupon.couponId());
    }
    if (!coupon.endsAt().isAfter(now)) {
      return false;
    }
    boolean startsSoon =
        coupon.status() == CouponStatus.ACTIVE && coupon.startsAt().isBefore(horizon(now));
    return startsSoon || (includesHot() && coupon.hot());
  }

  /** For messages: {@code coupons 1,2}, {@code all active}, {@code window 30m + hot}. */
  String describe() {
    if (isNamed()) {
      return named.size() == 1 ? "coupon " + named.get(0) : named.size() + " named coupons";
    }
    return allActive ? "all active" : "window " + Env.human(window) + " + hot";
  }
}
