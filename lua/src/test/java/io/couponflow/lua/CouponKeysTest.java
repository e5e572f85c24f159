package io.couponflow.lua;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.cluster.SlotHash;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CouponKeysTest {

  private static List<String> everyKey(CouponKeys k) {
    List<String> keys = new ArrayList<>();
    keys.add(k.meta());
    keys.add(k.history());
    keys.add(k.outbox());
    keys.add(CouponKeys.meta(k.prefix(), k.couponId()));
    keys.add(CouponKeys.outbox(k.prefix(), k.couponId()));
    for (int i = 0; i < 2_000; i++) {
      keys.add(k.users("u-" + i));
      keys.add(k.orders("SO-" + i));
      keys.add(k.idempotency("key-" + i));
    }
    return keys;
  }

  @ParameterizedTest
  @CsvSource({"cf, 42, 256", "cf, 1, 1", "t_x-y, 9223372036854775807, 65536", "cf, 123456, 16"})
  void everyKeyOfOneCoupon_mapsToOneClusterSlot(String prefix, long couponId, int buckets) {
    CouponKeys k = new CouponKeys(prefix, couponId, buckets);
    int slot = SlotHash.getSlot(k.meta());

    Set<Integer> slots = new HashSet<>();
    for (String key : everyKey(k)) {
      slots.add(SlotHash.getSlot(key));
    }

    assertThat(slots).containsExactly(slot);
    assertThat(slot).isEqualTo(SlotHash.getSlot(Long.toString(couponId)));
  }

  @Test
  void keys_followTheDocumentedLayout() {
    CouponKeys k = new CouponKeys("cf", 42, 256);

    assertThat(k.meta()).isEqualTo("cf:{42}:m");
    assertThat(k.users("u-1001")).isEqualTo("cf:{42}:u:249");
    assertThat(k.orders("SO-123")).isEqualTo("cf:{42}:o:65");
    assertThat(k.idempotency("key-1")).isEqualTo("cf:{42}:i:122");
    assertThat(k.history()).isEqualTo("cf:{42}:h");
    assertThat(k.outbox()).isEqualTo("cf:{42}:x");
    assertThat(CouponKeys.meta("cf", 42)).isEqualTo(k.meta());
    assertThat(CouponKeys.outbox("cf", 42)).isEqualTo(k.outbox());
    assertThat(CouponKeys.outboxPattern("cf")).isEqualTo("cf:{*}:x");
  }

  /** The values python3 -c 'import zlib; print(zlib.crc32(b"...") % n)' prints. */
  @ParameterizedTest
  @CsvSource({
    "SO-123, 256, 65",
    "SO-123, 16, 1",
    "u-1001, 256, 249",
    "key-1, 16, 10",
    "ü-1, 256, 85",
    "anything, 1, 0"
  })
  void bucket_isCrc32OfUtf8ModBuckets(String text, int buckets, int expected) {
    assertThat(CouponKeys.bucket(text, buckets)).isEqualTo(expected);
  }

  @Test
  void couponIdOf_readsTheHashTag() {
    assertThat(CouponKeys.couponIdOf("cf:{42}:x")).isEqualTo(42);
    assertThat(CouponKeys.couponIdOf("cf:{9223372036854775807}:o:3")).isEqualTo(Long.MAX_VALUE);
    assertThat(CouponKeys.couponIdOf("cf:42:x")).isEqualTo(-1);
    assertThat(CouponKeys.couponIdOf("cf:{abc}:x")).isEqualTo(-1);
    assertThat(CouponKeys.couponIdOf("cf:{42:x")).isEqualTo(-1);
  }

  @Test
  void constructor_refusesBadIdAndBucketCount() {
    assertThatThrownBy(() -> new CouponKeys("cf", 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("couponId: 0 (expected: > 0)");
    assertThatThrownBy(() -> new CouponKeys("cf", 1, 3))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("buckets: 3 (expected: a power of two)");
    assertThatThrownBy(() -> new CouponKeys("cf", 1, 0))
        .hasMessage("buckets: 0 (expected: a power of two)");
  }
}
