package io.couponflow.lua;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RedeemRequestTest {
  @Test
  void constructor_badUserId_namesTheField() {
    assertThatThrownBy(() -> new RedeemRequest(1, "k-1", "u 1", "o-1", 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("userId: must be 1-64 characters of A-Z a-z 0-9 _ -");
  }

  @Test
  void constructor_badOrderIdOrKey_namesTheFieldAndTheRule() {
    assertThatThrownBy(() -> new RedeemRequest(1, "k-1", "u-1", "o.1", 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("orderId: must be 1-64 characters of A-Z a-z 0-9 _ -");
    assertThatThrownBy(() -> new RedeemRequest(1, "k|1", "u-1", "o-1", 100))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("idempotencyKey: must be 1-128 characters of A-Z a-z 0-9 . _ : -");
  }
}
