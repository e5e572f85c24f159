package io.couponflow.sink;

import static io.couponflow.sink.SinkTests.accept;
import static io.couponflow.sink.SinkTests.coupon;
import static io.couponflow.sink.SinkTests.pending;
import static io.couponflow.sink.SinkTests.rows;
import static io.couponflow.sink.SinkTests.settings;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.RedemptionId;
import io.couponflow.sql.DeadLetterMapper;
import io.couponflow.sql.DeadLetterRow;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.lettuce.core.XAddArgs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The batch writer against real MySQL and Redis: poison rows, reversals, orphans. */
class BatchWriterIT {
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(BatchWriterIT.class);
    redis = RedisFixture.create(BatchWriterIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    db.close();
  }

  private static Sink sink(SimpleMeterRegistry registry, Clock clock, String... env) {
    return new Sink(settings(env), db.database(), functions, registry, clock);
  }

  private static List<DeadLetterRow> deadLetters(long couponId) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      return s.getMapper(DeadLetterMapper.class).recent(couponId, 100);
    }
  }

  @Test
  void write_batchOf500WithOnePoisonRow_stores499AndDeadLettersOneAndEmptiesTheOutbox() {
    Coupon c = coupon(11, 1000);
    functions.load(c, 0, 0, Duration.ZERO).join();
    List<OutboxEntry> accepted = accept(functions, c, "p", 500);
    OutboxEntry poison = accepted.get(250);
    db.execute(
        "INSERT INTO redemption (redemption_id, coupon_id, idempotency_key, user_id, order_id,"
            + " order_amount_cents, discount_cents, status, accepted_at, outbox_id) VALUES"
            + " ('11.ELSEWHERE.1', 11, '"
            + poison.field("k").orElseThrow()
            + "', 'someone', 'ELSEWHERE', 1, 1, 'ACCEPTED', NOW(3), '1-0')");
    List<OutboxEntry> batch = functions.outboxRead(11, Duration.ZERO, 1000, null).join();
    SimpleMeterRegistry registry = new SimpleMeterRegistry();

    BatchWriter.Report report;
    try (Sink sink = sink(registry, Clock.systemUTC(), "COUPON_SINK_BATCH_SIZE", "500")) {
      report = sink.writer().write(batch);
    }

    assertThat(batch).hasSize(500);
    assertThat(report).isEqualTo(new BatchWriter.Report(499, 1, 0));
    assertThat(rows(db, 11)).isEqualTo(500);
    assertThat(db.queryLong("SELECT COUNT(*) FROM redemption WHERE outbox_id <> '1-0'"))
        .isEqualTo(499);
    assertThat(
            db.queryLong(
                "SELECT COUNT(*) FROM redemption WHERE redemption_id = '"
                    + poison.field("r").orElseThrow()
                    + "'"))
        .isZero();
    List<DeadLetterRow> dead = deadLetters(11);
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).outboxId()).isEqualTo(poison.id());
    assertThat(dead.get(0).entry()).contains("r=" + poison.field("r").orElseThrow());
    assertThat(dead.get(0).error())
        .startsWith("conflict: MySQL already holds 11.ELSEWHERE.1 under key p-k-250");
    assertThat(pending(functions, 11)).isZero();
    assertThat(registry.get("couponflow.sink.dead.letters").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("couponflow.sink.conflicts").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("couponflow.sink.rows.written").counter().count()).isEqualTo(499.0);
  }

  @Test
  void write_acceptReusingARedemptionIdMySqlHoldsUnderAnotherKey_isDeadLetteredNotCountedStored() {
    // What a Redis that forgot an order and decided it anew would send: the same redemption id
    // (coupon, order, generation 1) under a new idempotency key.
    Coupon c = coupon(15, 10);
    functions.load(c, 0, 0, Duration.ZERO).join();
    List<OutboxEntry> accepted = accept(functions, c, "n", 1);
    String rid = accepted.get(0).field("r").orElseThrow();
    db.execute(
        "INSERT INTO redemption (redemption_id, coupon_id, idempotency_key, user_id, order_id,"
            + " order_amount_cents, discount_cents, status, accepted_at, outbox_id) VALUES ('"
            + rid
            + "', 15, 'the-first-key', 'the-first-user', '"
            + accepted.get(0).field("o").orElseThrow()
            + "', 1, 1, 'ACCEPTED', NOW(3), '1-0')");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();

    BatchWriter.Report report;
    try (Sink sink = sink(registry, Clock.systemUTC())) {
      report = sink.writer().write(accepted);
    }

    assertThat(report).isEqualTo(new BatchWriter.Report(0, 1, 0));
    assertThat(
            db.queryLong(
                "SELECT COUNT(*) FROM redemption WHERE coupon_id = 15"
                    + " AND idempotency_key = 'the-first-key'"))
        .isEqualTo(1);
    assertThat(rows(db, 15)).isEqualTo(1);
    List<DeadLetterRow> dead = deadLetters(15);
    assertThat(dead).hasSize(1);
    assertThat(dead.get(0).error())
        .startsWith("conflict: MySQL already holds " + rid + " under key the-first-key")
        .contains("this entry is " + rid + " under key n-k-0");
    assertThat(registry.get("couponflow.sink.conflicts").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("couponflow.sink.rows.written").counter().count()).isZero();
    assertThat(pending(functions, 15)).isZero();
  }

  @Test
  void write_acceptsAndTheirReversalsInOneBatch_storesReversedRows() {
    Coupon c = coupon(12, 100);
    functions.load(c, 0, 0, Duration.ZERO).join();
    List<OutboxEntry> accepted = accept(functions, c, "r", 8);
    for (int i = 0; i < 6; i++) {
      RedemptionId id = RedemptionId.parse(accepted.get(i).field("r").orElseThrow()).orElseThrow();
      ReverseOutcome outcome = functions.reverse(id, c.buckets(), "cancelled " + i).join();
      assertThat(outcome).isInstanceOf(ReverseOutcome.Reversed.class);
    }
    List<OutboxEntry> batch = functions.outboxRead(12, Duration.ZERO, 100, null).join();

    BatchWriter.Report report;
    try (Sink sink = sink(new SimpleMeterRegistry(), Clock.systemUTC())) {
      report = sink.writer().write(batch);
    }

    assertThat(batch).hasSize(14);
    assertThat(report).isEqualTo(new BatchWriter.Report(14, 0, 0));
    assertThat(db.queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 12")).isEqualTo(8);
    assertThat(
            db.queryLong(
                "SELECT COUNT(*) FROM redemption WHERE coupon_id = 12 AND status = 'REVERSED'"
                    + " AND reversed_at IS NOT NULL AND reversal_reason LIKE 'cancelled %'"))
        .isEqualTo(6);
    assertThat(pending(functions, 12)).isZero();
  }

  /** A reversal of a fresh accept whose accept then left the outbox unstored (as if lost). */
  private static List<OutboxEntry> orphanReversal(Coupon c) {
    functions.load(c, 0, 0, Duration.ZERO).join();
    OutboxEntry accept = accept(functions, c, "o", 1).get(0);
    RedemptionId id = RedemptionId.parse(accept.field("r").orElseThrow()).orElseThrow();
    functions.reverse(id, c.buckets(), "lost accept").join();
    functions.outboxAck(c.couponId(), List.of(accept.id())).join();
    List<OutboxEntry> reversal =
        functions.outboxRead(c.couponId(), Duration.ZERO, 100, null).join();
    assertThat(reversal).singleElement().satisfies(r -> assertThat(r.isReversal()).isTrue());
    return reversal;
  }

  @Test
  void write_freshOrphanReversal_withTheSinkClockHoursAhead_waitsInsteadOfDeadLettering() {
    Coupon c = coupon(13, 100);
    List<OutboxEntry> reversal = orphanReversal(c);
    Clock hoursAhead = Clock.offset(Clock.systemUTC(), Duration.ofHours(5));

    BatchWriter.Report report;
    try (Sink sink =
        sink(new SimpleMeterRegistry(), hoursAhead, "COUPON_SINK_ORPHAN_REVERSAL_AGE", "1h")) {
      report = sink.writer().write(reversal);
    }

    assertThat(report).isEqualTo(new BatchWriter.Report(0, 0, 1));
    assertThat(pending(functions, 13)).isEqualTo(1);
    assertThat(deadLetters(13)).isEmpty();
  }

  @Test
  void write_orphanReversalOlderThanTheOrphanAgeByTheRedisClock_isDeadLettered() {
    Coupon c = coupon(16, 100);
    OutboxEntry young = orphanReversal(c).get(0);
    // The same reversal as Redis would have appended it two hours ago (ids only grow, so it goes
    // into a fresh outbox under an id two hours back).
    functions.outboxAck(16, List.of(young.id())).join();
    String twoHoursAgo = (redis.redisTimeMillis() - Duration.ofHours(2).toMillis()) + "-0";
    List<String> fields = new ArrayList<>();
    young.fields().forEach((f, v) -> fields.addAll(List.of(f, v)));
    RedisFixture.join(
        redis
            .commands()
            .xadd(
                CouponKeys.outbox(redis.prefix(), 16),
                new XAddArgs().id(twoHoursAgo),
                fields.toArray()));
    List<OutboxEntry> old = functions.outboxRead(16, Duration.ZERO, 100, null).join();
    assertThat(old).extracting(OutboxEntry::id).containsExactly(twoHoursAgo);

    BatchWriter.Report report;
    try (Sink sink =
        sink(
            new SimpleMeterRegistry(),
            Clock.offset(Clock.systemUTC(), Duration.ofHours(-5)),
            "COUPON_SINK_ORPHAN_REVERSAL_AGE",
            "1h")) {
      report = sink.writer().write(old);
    }

    assertThat(report).isEqualTo(new BatchWriter.Report(0, 1, 0));
    assertThat(pending(functions, 16)).isZero();
    List<DeadLetterRow> dead = deadLetters(16);
    assertThat(dead)
        .singleElement()
        .satisfies(d -> assertThat(d.outboxId()).isEqualTo(twoHoursAgo));
    assertThat(dead.get(0).error())
        .startsWith("reversal of " + young.field("r").orElseThrow() + " waited 72")
        .contains("for its accept, which is not in MySQL");
    assertThat(rows(db, 16)).isZero();
  }

  @Test
  void write_malformedEntry_isDeadLetteredAndTheRestStored() {
    Coupon c = coupon(14, 100);
    functions.load(c, 0, 0, Duration.ZERO).join();
    List<OutboxEntry> accepted = accept(functions, c, "m", 3);
    OutboxEntry broken =
        new OutboxEntry(accepted.get(1).id(), 14, java.util.Map.of("t", "A", "r", "14.x.1"));

    BatchWriter.Report report;
    try (Sink sink = sink(new SimpleMeterRegistry(), Clock.systemUTC())) {
      report = sink.writer().write(List.of(accepted.get(0), broken, accepted.get(2)));
    }

    assertThat(report).isEqualTo(new BatchWriter.Report(2, 1, 0));
    assertThat(rows(db, 14)).isEqualTo(2);
    assertThat(deadLetters(14))
        .singleElement()
        .satisfies(d -> assertThat(d.error()).contains("missing field k"));
    assertThat(pending(functions, 14)).isZero();
  }
}
