package io.couponflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CouponTest {
  private static final Instant STARTS = Instant.parse("2030-01-01T00:00:00Z");
  private static final Instant ENDS = Instant.parse("2030-01-02T00:00:00Z");

  private static Coupon coupon(
      long id,
      String name,
      long stock,
      int limit,
      long threshold,
      long discount,
      Instant starts,
      Instant ends,
      int buckets,
      long version) {
    return new Coupon(
        id,
        name,
        stock,
        limit,
        threshold,
        discount,
        starts,
        ends,
        CouponStatus.ACTIVE,
        false,
        buckets,
        version);
  }

  private static Coupon valid() {
    return coupon(42, "50 off 300", 10_000, 1, 30_000, 5_000, STARTS, ENDS, 256, 1);
  }

  @Test
  void constructor_validDefinition_keepsEveryField() {
    Coupon c = valid();

    assertThat(c.couponId()).isEqualTo(42);
    assertThat(c.name()).isEqualTo("50 off 300");
    assertThat(c.totalStock()).isEqualTo(10_000);
    assertThat(c.perUserLimit()).isEqualTo(1);
    assertThat(c.thresholdCents()).isEqualTo(30_000);
    assertThat(c.discountCents()).isEqualTo(5_000);
    assertThat(c.startsAt()).isEqualTo(STARTS);
    assertThat(c.endsAt()).isEqualTo(ENDS);
    assertThat(c.status()).isEqualTo(CouponStatus.ACTIVE);
    assertThat(c.buckets()).isEqualTo(256);
    assertThat(c.version()).isEqualTo(1);
  }

  @Test
  void constructor_zeroStockAndZeroThreshold_areAllowed() {
    Coupon c = coupon(1, "free", 0, 1, 0, 1, STARTS, ENDS, 1, 1);

    assertThat(c.totalStock()).isZero();
    assertThat(c.thresholdCents()).isZero();
  }

  @Test
  void constructor_badCouponId_namesTheField() {
    assertThatThrownBy(() -> coupon(0, "x", 1, 1, 0, 1, STARTS, ENDS, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("couponId: 0 (expected: > 0)");
    assertThatThrownBy(() -> coupon(-5, "x", 1, 1, 0, 1, STARTS, ENDS, 1, 1))
        .hasMessage("couponId: -5 (expected: > 0)");
  }

  @Test
  void constructor_blankOrLongName_isRefused() {
    assertThatThrownBy(() -> coupon(1, " ", 1, 1, 0, 1, STARTS, ENDS, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name: must be 1..200 characters and not blank");
    assertThatThrownBy(() -> coupon(1, "n".repeat(201), 1, 1, 0, 1, STARTS, ENDS, 1, 1))
        .hasMessage("name: must be 1..200 characters and not blank");
    assertThat(coupon(1, "n".repeat(200), 1, 1, 0, 1, STARTS, ENDS, 1, 1).name()).hasSize(200);
    assertThatThrownBy(() -> coupon(1, null, 1, 1, 0, 1, STARTS, ENDS, 1, 1))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("name");
  }

  @Test
  void constructor_outOfRangeNumbers_nameTheField() {
    assertThatThrownBy(() -> coupon(1, "x", -1, 1, 0, 1, STARTS, ENDS, 1, 1))
        .hasMessage("totalStock: -1 (expected: 0..9007199254740991)");
    assertThatThrownBy(() -> coupon(1, "x", 1, 0, 0, 1, STARTS, ENDS, 1, 1))
        .hasMessage("perUserLimit: 0 (expected: 1..999999999)");
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, -1, 1, STARTS, ENDS, 1, 1))
        .hasMessage("thresholdCents: -1 (expected: 0..9007199254740991)");
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, 0, 0, STARTS, ENDS, 1, 1))
        .hasMessage("discountCents: 0 (expected: 1..9007199254740991)");
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, 0, 1, STARTS, ENDS, 1, 0))
        .hasMessage("version: 0 (expected: >= 1)");
  }

  @Test
  void constructor_numbersRedisCannotHoldExactly_areRefused() {
    long tooBig = Coupon.MAX_NUMBER + 1;
    assertThatThrownBy(() -> coupon(1, "x", tooBig, 1, 0, 1, STARTS, ENDS, 1, 1))
        .hasMessage("totalStock: 9007199254740992 (expected: 0..9007199254740991)");
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, tooBig, 1, STARTS, ENDS, 1, 1))
        .hasMessageStartingWith("thresholdCents: 9007199254740992");
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, 0, tooBig, STARTS, ENDS, 1, 1))
        .hasMessageStartingWith("discountCents: 9007199254740992");
    assertThatThrownBy(
            () -> coupon(1, "x", 1, 1, 0, 1, Instant.parse("0001-01-01T00:00:00Z"), ENDS, 1, 1))
        .hasMessageStartingWith("startsAt/endsAt: must lie between 1970-01-01T00:00:00Z and ");
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, 0, 1, STARTS, Instant.MAX, 1, 1))
        .hasMessageStartingWith("startsAt/endsAt: ");
  }

  @Test
  void constructor_endsNotAfterStarts_isRefused() {
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, 0, 1, STARTS, STARTS, 1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("endsAt: 2030-01-01T00:00:00Z (expected: after startsAt 2030-01-01T00:00:00Z)");
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, 0, 1, ENDS, STARTS, 1, 1))
        .hasMessageStartingWith("endsAt: ");
  }

  @ParameterizedTest
  @CsvSource({"0", "3", "6", "-2", "131072"})
  void constructor_bucketsNotAPowerOfTwoInRange_isRefused(int buckets) {
    assertThatThrownBy(() -> coupon(1, "x", 1, 1, 0, 1, STARTS, ENDS, buckets, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("buckets: " + buckets + " (expected: a power of two in 1..65536)");
  }

  @ParameterizedTest
  @CsvSource({
    "0, 1",
    "1, 1",
    "64, 1",
    "65, 2",
    "128, 2",
    "129, 4",
    "1000, 16",
    "10000, 256",
    "20000, 512",
    "4194304, 65536",
    "100000000, 65536",
    "9223372036854775807, 65536"
  })
  void bucketsFor_stock_keepsAboutSixtyFourEntriesPerBucket(long stock, int expected) {
    assertThat(Coupon.bucketsFor(stock)).isEqualTo(expected);
  }

  @Test
  void isLiveAt_windowIsHalfOpenAndPausedIsNeverLive() {
    Coupon c = valid();

    assertThat(c.isLiveAt(STARTS.minusMillis(1))).isFalse();
    assertThat(c.isLiveAt(STARTS)).isTrue();
    assertThat(c.isLiveAt(ENDS.minusMillis(1))).isTrue();
    assertThat(c.isLiveAt(ENDS)).isFalse();
    assertThat(c.withStatus(CouponStatus.PAUSED, 2).isLiveAt(STARTS)).isFalse();
  }

  @Test
  void withStatus_changesOnlyStatusAndVersion() {
    Coupon c = valid();

    Coupon paused = c.withStatus(CouponStatus.PAUSED, 7);

    assertThat(paused)
        .isEqualTo(
            new Coupon(
                42,
                "50 off 300",
                10_000,
                1,
                30_000,
                5_000,
                STARTS,
                ENDS,
                CouponStatus.PAUSED,
                false,
                256,
                7));
  }
}
