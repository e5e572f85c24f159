package io.couponflow.sink;

import static io.couponflow.sink.SinkTests.accept;
import static io.couponflow.sink.SinkTests.coupon;
import static io.couponflow.sink.SinkTests.pending;
import static io.couponflow.sink.SinkTests.rows;
import static io.couponflow.sink.SinkTests.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.model.Coupon;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two gateways' sweepers and a drainer take the same outbox at once. */
class SweeperRaceIT {
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(SweeperRaceIT.class);
    redis = RedisFixture.create(SweeperRaceIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    db.close();
  }

  @Test
  void twoSweepersAndADrainer_onTheSameOutbox_writeEveryRowOnceAndLoseNone() throws Exception {
    Coupon c = coupon(21, 5_000);
    functions.load(c, 0, 0, Duration.ZERO).join();
    List<OutboxEntry> accepted = accept(functions, c, "race", 3_000);
    SinkSettings settings = settings("COUPON_SINK_BATCH_SIZE", "200");
    SimpleMeterRegistry registryA = new SimpleMeterRegistry();
    SimpleMeterRegistry registryB = new SimpleMeterRegistry();
    try (Sink gatewayA = new Sink(settings, db.database(), functions, registryA);
        Sink gatewayB = new Sink(settings, db.database(), functions, registryB)) {
      for (OutboxEntry e : accepted) {
        assertThat(gatewayA.offer(e)).isTrue();
      }
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<OutboxSweeper.Report>> sweeps = new ArrayList<>();
      for (Sink sink : List.of(gatewayA, gatewayB)) {
        sweeps.add(
            CompletableFuture.supplyAsync(
                () -> {
                  awaitLatch(go);
                  return sink.sweeper().sweep(Duration.ZERO);
                }));
      }
      gatewayA.start();
      go.countDown();

      List<OutboxSweeper.Report> reports = sweeps.stream().map(CompletableFuture::join).toList();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(pending(functions, 21)).isZero());

      assertThat(reports).allSatisfy(r -> assertThat(r.deadLettered()).isZero());
      assertThat(gatewayA.breaker().getState().name()).isEqualTo("CLOSED");
      assertThat(gatewayB.breaker().getState().name()).isEqualTo("CLOSED");
    }
    assertThat(rows(db, 21)).isEqualTo(3_000);
    assertThat(
            db.queryLong(
                "SELECT COUNT(DISTINCT redemption_id) FROM redemption WHERE coupon_id = 21"))
        .isEqualTo(3_000);
    assertThat(
            db.queryLong(
                "SELECT COUNT(DISTINCT idempotency_key) FROM redemption WHERE coupon_id = 21"))
        .isEqualTo(3_000);
    long expectedAmount = 0;
    for (int i = 0; i < 3_000; i++) {
      expectedAmount += 1_000 + i;
    }
    assertThat(db.queryLong("SELECT SUM(order_amount_cents) FROM redemption WHERE coupon_id = 21"))
        .isEqualTo(expectedAmount);
    assertThat(db.queryLong("SELECT COUNT(*) FROM dead_letter WHERE coupon_id = 21")).isZero();
    assertThat(
            registryA.get("couponflow.sink.mysql.failures").counter().count()
                + registryB.get("couponflow.sink.mysql.failures").counter().count())
        .isZero();
  }

  private static void awaitLatch(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
