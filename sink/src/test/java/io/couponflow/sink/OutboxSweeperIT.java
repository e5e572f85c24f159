package io.couponflow.sink;

import static io.couponflow.sink.SinkTests.accept;
import static io.couponflow.sink.SinkTests.coupon;
import static io.couponflow.sink.SinkTests.pending;
import static io.couponflow.sink.SinkTests.rows;
import static io.couponflow.sink.SinkTests.settings;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.model.Coupon;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which coupons a sweep covers: all of them after a SCAN, the known ones in between. */
class OutboxSweeperIT {
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(OutboxSweeperIT.class);
    redis = RedisFixture.create(OutboxSweeperIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    db.close();
  }

  @Test
  void sweepKnown_coversReportedAndPreviouslyFoundCoupons_andAFullSweepFindsTheRest() {
    Coupon a = coupon(41, 100);
    Coupon b = coupon(42, 100);
    functions.load(a, 0, 0, Duration.ZERO).join();
    functions.load(b, 0, 0, Duration.ZERO).join();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (Sink sink = new Sink(settings(), db.database(), functions, registry)) {
      OutboxSweeper sweeper = sink.sweeper();
      accept(functions, a, "a", 30);
      accept(functions, b, "b", 20);

      OutboxSweeper.Report unknown = sweeper.sweepKnown(Duration.ZERO);
      assertThat(unknown).isEqualTo(new OutboxSweeper.Report(0, 0, 0, 0));
      assertThat(pending(functions, 41)).isEqualTo(30);

      sweeper.markPending(41);
      OutboxSweeper.Report reported = sweeper.sweepKnown(Duration.ZERO);
      assertThat(reported).isEqualTo(new OutboxSweeper.Report(1, 30, 0, 0));
      assertThat(rows(db, 41)).isEqualTo(30);
      assertThat(pending(functions, 42)).isEqualTo(20);
      assertThat(sink.metrics().outboxPending()).isEqualTo(30);

      OutboxSweeper.Report full = sweeper.sweep(Duration.ZERO);
      assertThat(full).isEqualTo(new OutboxSweeper.Report(1, 20, 0, 0));
      assertThat(rows(db, 42)).isEqualTo(20);
      assertThat(sink.metrics().outboxPending()).isEqualTo(20);
      assertThat(sink.metrics().outboxOldestAgeMillis()).isBetween(0L, 60_000L);

      accept(functions, b, "b2", 5);
      OutboxSweeper.Report stillKnown = sweeper.sweepKnown(Duration.ofHours(1));
      assertThat(stillKnown).isEqualTo(new OutboxSweeper.Report(1, 0, 0, 0));
      assertThat(pending(functions, 42)).isEqualTo(5);
    }
  }
}
