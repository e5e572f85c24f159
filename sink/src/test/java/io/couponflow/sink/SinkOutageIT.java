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
import io.couponflow.testkit.PrivateMariaDb;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The sink through a MySQL outage: a private MariaDB killed under load, then brought back. */
class SinkOutageIT {
  private static PrivateMariaDb mariadb;
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void setUp() {
    mariadb = PrivateMariaDb.launch();
    db = TestDatabase.create(mariadb.jdbc("mysql"), SinkOutageIT.class);
    redis = RedisFixture.create(SinkOutageIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    db.close();
    mariadb.close();
  }

  @Test
  void mySqlOutage_opensTheBreaker_fillsTheQueue_thenDrainsOldestFirstAndLosesNothing() {
    Coupon c = coupon(31, 10_000);
    functions.load(c, 0, 0, Duration.ZERO).join();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    SinkSettings settings =
        settings(
            "COUPON_QUEUE_CAPACITY", "256",
            "COUPON_SINK_BATCH_SIZE", "50",
            "COUPON_SINK_BREAKER_OPEN", "1s");
    try (Sink sink = new Sink(settings, db.database(), functions, registry)) {
      sink.start();
      accept(functions, c, "before", 100).forEach(sink::offer);
      // Stored and acknowledged: a kill between MySQL's commit and its answer would leave the
      // batch in the outbox (correctly: the drainer cannot know it committed), and the counts
      // below are of the outage's entries alone.
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> rows(db, 31) == 100 && pending(functions, 31) == 0);

      mariadb.kill();
      int refused = 0;
      for (OutboxEntry e : accept(functions, c, "during", 2_000)) {
        refused += sink.offer(e) ? 0 : 1;
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> sink.breaker().getState() != CircuitBreaker.State.CLOSED);
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(() -> assertThat(sink.metrics().outboxPending()).isEqualTo(2_000));
      assertThat(refused).isPositive();
      assertThat(sink.queue().dropped()).isEqualTo(refused);
      int refusedOffers = refused;
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          sink.queue().size()
                              + refusedOffers
                              + registry.get("couponflow.sink.left.to.outbox").counter().count())
                      .isEqualTo(2_000.0));
      assertThat(pending(functions, 31)).isEqualTo(2_000);
      assertThat(
              registry
                  .get("resilience4j.circuitbreaker.state")
                  .tags("name", "mysql", "state", "closed")
                  .gauge()
                  .value())
          .isZero();

      mariadb.start();
      List<Long> pendingSamples = new ArrayList<>();
      await()
          .atMost(Duration.ofSeconds(45))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () -> {
                long p = pending(functions, 31);
                pendingSamples.add(p);
                return p == 0;
              });
      assertThat(sink.breaker().getState()).isEqualTo(CircuitBreaker.State.CLOSED);
      for (int i = 1; i < pendingSamples.size(); i++) {
        assertThat(pendingSamples.get(i)).isLessThanOrEqualTo(pendingSamples.get(i - 1));
      }
    }
    assertThat(rows(db, 31)).isEqualTo(2_100);
    assertThat(db.queryLong("SELECT COUNT(DISTINCT redemption_id) FROM redemption"))
        .isEqualTo(2_100);
    assertThat(db.queryLong("SELECT COUNT(*) FROM dead_letter")).isZero();
    assertPersistedInOrderOfAcceptance("during-");
  }

  /** Rows accepted during the outage reached MySQL oldest first: persisted_at never goes back. */
  private static void assertPersistedInOrderOfAcceptance(String keyPrefix) {
    record Persisted(long ms, long seq, long persistedMicros) {}
    List<Persisted> rows = new ArrayList<>();
    try (Connection conn = db.database().dataSource().getConnection();
        Statement s = conn.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT outbox_id, UNIX_TIMESTAMP(persisted_at) * 1000000 FROM redemption"
                    + " WHERE idempotency_key LIKE '"
                    + keyPrefix
                    + "%'")) {
      while (rs.next()) {
        String[] id = rs.getString(1).split("-");
        rows.add(new Persisted(Long.parseLong(id[0]), Long.parseLong(id[1]), rs.getLong(2)));
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    rows.sort(Comparator.comparingLong(Persisted::ms).thenComparingLong(Persisted::seq));
    assertThat(rows).hasSize(2_000);
    for (int i = 1; i < rows.size(); i++) {
      assertThat(rows.get(i).persistedMicros())
          .as("row %d of the outage persisted before an older one", i)
          .isGreaterThanOrEqualTo(rows.get(i - 1).persistedMicros());
    }
  }
}
