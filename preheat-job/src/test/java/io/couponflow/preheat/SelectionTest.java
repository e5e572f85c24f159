package io.couponflow.preheat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SelectionTest {
  private static final Instant NOW = Instant.parse("2030-01-01T12:00:00Z");

  private static Coupon coupon(
      long id, Duration startsIn, Duration endsIn, CouponStatus status, boolean hot) {
    return new Coupon(
        id, "c", 10, 1, 0, 10, NOW.plus(startsIn), NOW.plus(endsIn), status, hot, 1, 1);
  }

  @Test
  void window_selectsActiveCouponsStartingBeforeTheHorizon_andHotOnes_neverEndedOnes() {
    Selection window = Selection.startingWithin(Duration.ofMinutes(30));

    assertThat(
            window.matches(
                coupon(1, Duration.ofHours(-1), Duration.ofHours(1), CouponStatus.ACTIVE, false),
                NOW))
        .isTrue();
    assertThat(
            window.matches(
                coupon(2, Duration.ofMinutes(29), Duration.ofHours(1), CouponStatus.ACTIVE, false),
                NOW))
        .isTrue();
    assertThat(
            window.matches(
                coupon(3, Duration.ofMinutes(30), Duration.ofHours(1), CouponStatus.ACTIVE, false),
                NOW))
        .isFalse();
    assertThat(
            window.matches(
                coupon(4, Duration.ofMinutes(5), Duration.ofHours(1), CouponStatus.PAUSED, false),
                NOW))
        .isFalse();
    assertThat(
            window.matches(
                coupon(5, Duration.ofDays(3), Duration.ofDays(4), CouponStatus.PAUSED, true), NOW))
        .isTrue();
    assertThat(
            window.matches(
                coupon(6, Duration.ofHours(-2), Duration.ZERO, CouponStatus.ACTIVE, true), NOW))
        .isFalse();
  }

  @Test
  void allActive_selectsEveryActiveCouponNotEnded_butNotPausedHotOnes() {
    Selection all = Selection.everyActive();

    assertThat(
            all.matches(
                coupon(1, Duration.ofDays(300), Duration.ofDays(301), CouponStatus.ACTIVE, false),
                NOW))
        .isTrue();
    assertThat(
            all.matches(
                coupon(2, Duration.ofMinutes(1), Duration.ofHours(1), CouponStatus.PAUSED, true),
                NOW))
        .isFalse();
    assertThat(all.horizon(NOW)).isEqualTo(Selection.FAR_FUTURE);
  }

  @Test
  void named_selectsExactlyThoseIds_sortedAndOnce() {
    Selection named = Selection.ofIds(List.of(9L, 3L, 9L));

    assertThat(named.named()).containsExactly(3L, 9L);
    assertThat(
            named.matches(
                coupon(3, Duration.ofDays(-9), Duration.ofDays(-8), CouponStatus.PAUSED, false),
                NOW))
        .isTrue();
    assertThat(
            named.matches(
                coupon(4, Duration.ZERO, Duration.ofHours(1), CouponStatus.ACTIVE, true), NOW))
        .isFalse();
    assertThat(named.describe()).isEqualTo("2 named coupons");
  }

  @Test
  void hugeWindow_isClampedToAHorizonMySqlCanStore() {
    assertThat(Selection.startingWithin(Duration.ofDays(3650 * 3000L)).horizon(NOW))
        .isEqualTo(Selection.FAR_FUTURE);
  }

  @Test
  void nonPositiveId_isRefused() {
    assertThatThrownBy(() -> Selection.ofIds(List.of(-1L)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--coupon: -1 (expected: > 0)");
  }
}
