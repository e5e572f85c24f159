package io.couponflow.lua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.model.RedemptionId;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RedeemRequestTest {
  private static final String ALPHABET = "aZ09._:-/ é\u0000{";

  @Test
  void isIdempotencyKeyAndIsIdText_agreeWithTheirPatterns() {
    Random random = new Random(42);
    for (int i = 0; i < 20_000; i++) {
      StringBuilder b = new StringBuilder();
      int length = random.nextInt(131);
      for (int j = 0; j < length; j++) {
        b.append(
            random.nextInt(8) == 0
                ? ALPHABET.charAt(random.nextInt(ALPHABET.length()))
                : ALPHABET.charAt(random.nextInt(8)));
      }
      String s = b.toString();
      assertThat(RedeemRequest.isIdempotencyKey(s))
          .as("key '%s'", s)
          .isEqualTo(RedeemRequest.IDEMPOTENCY_KEY.matcher(s).matches());
      assertThat(RedeemRequest.isIdText(s))
          .as("id '%s'", s)
          .isEqualTo(RedemptionId.ID_TEXT.matcher(s).matches());
    }
  }

  @Test
  void isIdempotencyKey_bounds() {
    assertThat(RedeemRequest.isIdempotencyKey("")).isFalse();
    assertThat(RedeemRequest.isIdempotencyKey("k".repeat(128))).isTrue();
    assertThat(RedeemRequest.isIdempotencyKey("k".repeat(129))).isFalse();
    assertThat(RedeemRequest.isIdText("u".repeat(64))).isTrue();
    assertThat(RedeemRequest.isIdText("u".repeat(65))).isFalse();
    assertThat(RedeemRequest.isIdText("u.1")).isFalse();
  }

  @Test
  void constructor_badUserId_namesTheField() {
    assertThatThrownBy(() -> new RedeemRequest(1, "k-1", "u 1", "o-1", 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("userId:");
  }
}
