package io.couponflow.lua;

import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.testkit.RedisFixture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The events channel against a real Redis: the typed publishes reach a typed subscription. */
class CouponEventsIT {
  private static RedisFixture redis;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(CouponEventsIT.class);
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  @Test
  void publishChangedAndLoaded_reachASubscriber_asTheirMessages() {
    List<String> received = new CopyOnWriteArrayList<>();
    try (CouponEvents.Subscription s = CouponEvents.subscribe(redis.redis(), received::add)) {
      assertThat(join(redis.functions().publishChanged(42))).isEqualTo(1);
      assertThat(join(redis.functions().publishLoaded(List.of(1L, 2L)))).isEqualTo(1);
      join(redis.commands().publish("other-channel", "changed 7"));

      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(received).containsExactly("changed 42", "loaded 1 2"));
    }
    assertThat(join(redis.functions().publishChanged(42))).isZero();
    assertThat(received).hasSize(2);
  }
}
