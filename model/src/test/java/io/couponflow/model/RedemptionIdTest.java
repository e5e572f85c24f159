package io.couponflow.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RedemptionIdTest {

  @Test
  void toString_isCouponOrderGeneration() {
    assertThat(new RedemptionId(42, "SO-123", 1)).hasToString("42.SO-123.1");
  }

  @ParameterizedTest
  @CsvSource({
    "42.SO-123.1, 42, SO-123, 1",
    "1.a.2, 1, a, 2",
    "9223372036854775807.o_r-D.999999999, 9223372036854775807, o_r-D, 999999999"
  })
  void parse_issuedId_roundTrips(String text, long coupon, String order, int generation) {
    Optional<RedemptionId> id = RedemptionId.parse(text);

    assertThat(id).contains(new RedemptionId(coupon, order, generation));
    assertThat(id.orElseThrow()).hasToString(text);
  }

  @Test
  void parse_longestOrderId_roundTrips() {
    String text = "42." + "o".repeat(64) + ".3";

    assertThat(RedemptionId.parse(text)).contains(new RedemptionId(42, "o".repeat(64), 3));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "42",
        "42.SO-123",
        "42.SO-123.0",
        "0.SO-123.1",
        "042.SO-123.1",
        "-1.SO-123.1",
        "42..1",
        "42.SO.123.1",
        "42.SO 123.1",
        "42.SO-123.1.",
        "42.SO-123.01",
        "42.SO-123.1000000000",
        "9223372036854775808.SO-1.1",
        "42.SO-123.x",
        "42.ÄÖ.1"
      })
  void parse_textNotIssuedByTheService_isEmpty(String text) {
    assertThat(RedemptionId.parse(text)).isEmpty();
  }

  @Test
  void parse_nullOrOverlongOrLongOrderId_isEmpty() {
    assertThat(RedemptionId.parse(null)).isEmpty();
    assertThat(RedemptionId.parse("42." + "o".repeat(65) + ".1")).isEmpty();
    assertThat(RedemptionId.parse("4".repeat(101))).isEmpty();
  }

  @Test
  void constructor_badParts_nameTheField() {
    assertThatThrownBy(() -> new RedemptionId(0, "SO-1", 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("couponId: 0 (expected: > 0)");
    assertThatThrownBy(() -> new RedemptionId(1, "SO.1", 1))
        .hasMessage("orderId: must be 1-64 characters of A-Z a-z 0-9 _ -");
    assertThatThrownBy(() -> new RedemptionId(1, "", 1))
        .hasMessage("orderId: must be 1-64 characters of A-Z a-z 0-9 _ -");
    assertThatThrownBy(() -> new RedemptionId(1, "SO-1", 0))
        .hasMessage("generation: 0 (expected: >= 1)");
    assertThatThrownBy(() -> new RedemptionId(1, null, 1))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("orderId");
  }
}
