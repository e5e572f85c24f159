package io.couponflow.gateway.coupon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.benmanes.caffeine.cache.Ticker;
import io.couponflow.gateway.resilience.RedisGuard;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.testkit.RedisFixture;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sold-out ledger's clocks against a real Redis: its life is measured on this process's
 * monotonic clock (a fake ticker here, moved by hand) from the Redis time of its snapshot, so the
 * window Redis defines is never judged by this process's wall clock.
 */
class SoldOutLedgersIT {
  private static RedisFixture redis;
  private static CouponFunctions functions;
  private static RedisGuard guard;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(SoldOutLedgersIT.class);
    functions = redis.functions();
    guard = new RedisGuard(CircuitBreaker.ofDefaults("redis"), new SimpleMeterRegistry());
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  /** A sold-out coupon (total 0) whose window ends {@code endsIn} after now by the Redis clock. */
  private static void soldOut(long id, Duration endsIn) {
    Instant redisNow = Instant.ofEpochMilli(redis.redisTimeMillis());
    Coupon c =
        new Coupon(
            id,
            "sold out " + id,
            0,
            1,
            0,
            100,
            redisNow.minusSeconds(3600),
            redisNow.plus(endsIn),
            CouponStatus.ACTIVE,
            false,
            1,
            1);
    assertThat(functions.load(c, 0, 0, Duration.ZERO).join())
        .isEqualTo(new LoadOutcome.Created(0, true));
  }

  private static RedeemRequest fresh(long couponId) {
    return new RedeemRequest(couponId, "k-new", "u-new", "SO-new", 1000);
  }

  private static SoldOutLedgers ledgers(Duration ttl, AtomicLong nanos) {
    Ticker ticker = nanos::get;
    return new SoldOutLedgers(functions, guard, ttl, new SimpleMeterRegistry(), ticker);
  }

  private static void built(SoldOutLedgers ledgers, long couponId) {
    ledgers.onSoldOut(couponId);
    await().atMost(10, TimeUnit.SECONDS).until(() -> ledgers.soldOut(fresh(couponId)));
  }

  @Test
  void ledger_endsBeforeTheWindowClosesByTheRedisClock_evenWithALongTtl() {
    soldOut(1, Duration.ofSeconds(60));
    AtomicLong nanos = new AtomicLong(1_000_000_000L);
    SoldOutLedgers ledgers = ledgers(Duration.ofMinutes(10), nanos);
    built(ledgers, 1);

    nanos.addAndGet(Duration.ofSeconds(50).toNanos());
    assertThat(ledgers.soldOut(fresh(1))).as("50 s on: the window is open for 10 s more").isTrue();
    nanos.addAndGet(Duration.ofSeconds(9).toNanos());
    assertThat(ledgers.soldOut(fresh(1)))
        .as("59 s on: within the margin of the window's end by Redis's clock, Redis decides")
        .isFalse();
  }

  @Test
  void ledger_endsAfterItsTtl_onTheMonotonicClock() {
    soldOut(2, Duration.ofHours(1));
    AtomicLong nanos = new AtomicLong(-5_000_000_000L);
    SoldOutLedgers ledgers = ledgers(Duration.ofSeconds(2), nanos);
    built(ledgers, 2);

    nanos.addAndGet(Duration.ofMillis(1900).toNanos());
    assertThat(ledgers.soldOut(fresh(2))).isTrue();
    nanos.addAndGet(Duration.ofMillis(100).toNanos());
    assertThat(ledgers.soldOut(fresh(2))).isFalse();
  }
}
