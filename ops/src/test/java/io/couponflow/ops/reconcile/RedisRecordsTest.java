package io.couponflow.ops.reconcile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.model.RedemptionStatus;
import io.couponflow.ops.reconcile.RedisRecords.RedisRecord;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RedisRecordsTest {

  @Test
  void parse_acceptedRecord_readsEveryField() {
    RedisRecord r = RedisRecords.parse(42, "SO-1", "2|u-7|35000|5000|1700000000123|A|");

    assertThat(r.id().toString()).isEqualTo("42.SO-1.2");
    assertThat(r.userId()).isEqualTo("u-7");
    assertThat(r.amountCents()).isEqualTo(35000);
    assertThat(r.discountCents()).isEqualTo(5000);
    assertThat(r.acceptedAt()).isEqualTo(Instant.ofEpochMilli(1700000000123L));
    assertThat(r.reversed()).isFalse();
    assertThat(r.toRedemption().status()).isEqualTo(RedemptionStatus.ACCEPTED);
  }

  @Test
  void parse_reversedRecord_keepsTheReversalTime() {
    RedisRecord r =
        RedisRecords.parse(42, "SO-1", "1|u-7|35000|5000|1700000000123|R|1700000009999");

    assertThat(r.reversedAt()).isEqualTo(Instant.ofEpochMilli(1700000009999L));
    assertThat(r.toRedemption().status()).isEqualTo(RedemptionStatus.REVERSED);
  }

  @Test
  void parse_corruptRecord_failsNamingCouponAndOrder() {
    assertThatThrownBy(() -> RedisRecords.parse(42, "SO-1", "1|u-7|oops"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("coupon 42: unreadable redemption record of order SO-1: 1|u-7|oops");
  }
}
