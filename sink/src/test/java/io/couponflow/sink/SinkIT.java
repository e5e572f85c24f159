package io.couponflow.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.Coupon;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SinkIT {
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(SinkIT.class);
    redis = RedisFixture.create(SinkIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    db.close();
  }

  @Test
  void queuedAndUnqueuedAccepts_allReachMySqlAndLeaveTheOutbox() {
    Coupon c = SinkTests.coupon(1, 1000);
    functions.load(c, 0, 0, Duration.ZERO).join();
    SinkSettings settings = SinkTests.settings("COUPON_SINK_BATCH_SIZE", "50");
    try (Sink sink = new Sink(settings, db.database(), functions, new SimpleMeterRegistry())) {
      for (int i = 0; i < 200; i++) {
        RedeemRequest request = new RedeemRequest(1, "k-" + i, "u-" + i, "SO-" + i, 500);
        var accepted = (RedeemOutcome.Accepted) functions.redeem(request, c.buckets()).join();
        if (i % 2 == 0) {
          sink.offer(
              OutboxEntry.accepted(
                  accepted.outboxId(), accepted.redemption(), request.idempotencyKey()));
        }
      }
      sink.start();

      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () ->
                  assertThat(db.queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 1"))
                      .isEqualTo(200));
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(
              () -> assertThat(functions.inspect(1).join().orElseThrow().pending()).isZero());
    }
    assertThat(
            db.queryLong(
                "SELECT COUNT(DISTINCT idempotency_key) FROM redemption WHERE coupon_id = 1"))
        .isEqualTo(200);
  }

  @Test
  void idleDrainer_parks_andUsesAlmostNoCpu() throws Exception {
    try (Sink sink =
        new Sink(SinkTests.settings(), db.database(), functions, new SimpleMeterRegistry())) {
      sink.start();
      Thread drainer = sink.drainerThread();
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      Thread.sleep(200);
      long before = threads.getThreadCpuTime(drainer.getId());
      Thread.sleep(1_000);
      long used = threads.getThreadCpuTime(drainer.getId()) - before;

      assertThat(Duration.ofNanos(used)).isLessThan(Duration.ofMillis(50));
      // It wakes every IDLE_PARK to look at the queue, and on a loaded machine waits for a core
      // as RUNNABLE then: parked is what it is between those looks, not at any given instant.
      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(5))
          .until(() -> drainer.getState() == Thread.State.TIMED_WAITING);
    }
  }
}
