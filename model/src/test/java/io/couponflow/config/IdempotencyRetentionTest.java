package io.couponflow.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IdempotencyRetentionTest {
  @Test
  void from_unset_is24Hours_andAValueIsRead() {
    assertThat(IdempotencyRetention.from(Env.of(Map.of())).duration())
        .isEqualTo(Duration.ofHours(24));
    assertThat(
            IdempotencyRetention.from(Env.of(Map.of("COUPON_IDEMPOTENCY_RETENTION", "7d")))
                .duration())
        .isEqualTo(Duration.ofDays(7));
  }

  @Test
  void lessThanADayOrMoreThanTenYears_isRefused_namingTheVariable_byFromAndByTheConstructor() {
    assertThatThrownBy(
            () -> IdempotencyRetention.from(Env.of(Map.of("COUPON_IDEMPOTENCY_RETENTION", "60m"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_IDEMPOTENCY_RETENTION: 1h is out of range (expected: 1d..3650d)");
    assertThatThrownBy(() -> new IdempotencyRetention(Duration.ofDays(3651)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_IDEMPOTENCY_RETENTION: 3651d is out of range (expected: 1d..3650d)");
    assertThatThrownBy(() -> IdempotencyRetention.require(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("COUPON_IDEMPOTENCY_RETENTION");
  }

  @Test
  void notADuration_isRefused_namingTheVariable() {
    assertThatThrownBy(
            () -> IdempotencyRetention.from(Env.of(Map.of("COUPON_IDEMPOTENCY_RETENTION", "soon"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_IDEMPOTENCY_RETENTION: 'soon' is not a duration");
  }
}
