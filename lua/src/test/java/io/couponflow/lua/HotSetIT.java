package io.couponflow.lua;

import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.testkit.RedisFixture;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The preheat job's hot set against a real Redis. */
class HotSetIT {
  private static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  private RedisFixture redis;
  private HotSet hot;

  /** A prefix of each test's own: both tests fill the one hot set a prefix has. */
  @BeforeEach
  void connect() {
    redis = RedisFixture.create(HotSetIT.class);
    hot = new HotSet(redis.redis());
  }

  @AfterEach
  void cleanUp() {
    redis.close();
  }

  @Test
  void addThenPrune_removesExactlyTheEndedCoupons_inPagesOfTheLimit() {
    Map<Long, Instant> ends = new LinkedHashMap<>();
    for (long id = 1; id <= 5; id++) {
      ends.put(id, NOW.minusSeconds(id));
    }
    ends.put(6L, NOW);
    ends.put(7L, NOW.plusMillis(1));
    join(hot.add(ends));
    join(hot.add(Map.of(7L, NOW.plusMillis(1))));

    assertThat(join(hot.size())).isEqualTo(7);
    assertThat(join(hot.pruneEnded(NOW, 4))).isEqualTo(4);
    assertThat(join(hot.pruneEnded(NOW, 4))).isEqualTo(2);
    assertThat(join(hot.pruneEnded(NOW, 4))).isZero();

    assertThat(join(hot.members())).containsExactly(7L);
    assertThat(redis.keys())
        .containsExactlyInAnyOrder(redis.prefix() + ":hot", redis.prefix() + ":hot:ends");
    assertThat(join(redis.commands().zscore(redis.prefix() + ":hot:ends", "7")))
        .isEqualTo((double) NOW.plusMillis(1).toEpochMilli());
  }

  @Test
  void members_skipsWhatIsNoCouponId_andReadsASetLargerThanOnePage() {
    Map<Long, Instant> ends = new LinkedHashMap<>();
    for (long id = 1_000; id < 3_500; id++) {
      ends.put(id, NOW.plusSeconds(60));
    }
    join(hot.add(ends));
    join(redis.commands().sadd(hot.describe(), "junk"));

    assertThat(join(hot.members())).hasSize(2_500).containsAll(ends.keySet());
    assertThat(hot.describe()).isEqualTo(redis.prefix() + ":hot");
    assertThat(join(hot.add(Map.of()))).isNull();
  }
}
