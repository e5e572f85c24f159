package io.couponflow.gateway.coupon;

import com.github.benmanes.caffeine.cache.Ticker;
import io.couponflow.gateway.resilience.RedisGuard;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.CouponStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sold-out hints: lets a sold-out storm be answered without asking Redis, while every idempotent
 * replay still reaches Redis and gets its first answer back.
 *
 * <p>The rule: when Redis answers SOLD_OUT for a coupon, the gateway reads, in one bracketed pass,
 * the coupon's counters, every idempotency key, user and order Redis holds for it, and the counters
 * again. If the coupon was sold out and nothing moved during the pass, that snapshot is the
 * coupon's ledger for {@code ttl}. While the ledger lives, a redemption is answered SOLD_OUT
 * locally only if its idempotency key, its user and its order are all absent from the ledger, the
 * coupon is active and inside its window by the ledger's definition, and the amount meets the
 * threshold. For such a request {@code cf_redeem} could answer nothing but SOLD_OUT: it is not a
 * replay (unknown key), the user holds nothing, the order holds nothing, and no stock is left.
 * Every other request goes to Redis as usual, so a retry of an accepted key gets its 201 with
 * {@code Idempotent-Replayed}.
 *
 * <p>Staleness: while a coupon is sold out no new key, user or order can appear in it; stock comes
 * back only by a reversal, a restock or a reload, and each of them publishes a coupon event that
 * drops the ledger on every gateway (the gateway publishes its own reversals). A lost event is
 * bounded by {@code ttl}. A coupon with more than {@value #MAX_ENTRIES} redemptions gets no ledger.
 *
 * <p>Clocks: Redis decides whether the coupon's window is open on its own clock, so the ledger
 * never looks at this process's wall clock, which may run ahead of Redis's or behind it. Each
 * snapshot asks the coupon's Redis node for its time ({@code cf_time}) and ends the ledger, on this
 * process's monotonic clock, {@link #WINDOW_MARGIN} before the window closes by that time (counting
 * from before the question was sent, so the estimate of Redis's time runs early, never late), or
 * after {@code ttl}, whichever comes first; a snapshot taken before the window opened by Redis's
 * clock, or within the margin of its end, makes no ledger. A span measured on one process's
 * monotonic clock is exact whatever that process's wall clock says; comparing this process's wall
 * clock with a time Redis defined would not be.
 *
 * <p>Concurrency: one snapshot per coupon at a time; a drop during a snapshot discards it.
 * Thread-safety: safe for use by many threads; never blocks.
 */
final class SoldOutLedgers {
  private static final Logger log = LoggerFactory.getLogger(SoldOutLedgers.class);
  static final long MAX_ENTRIES = 100_000;
  private static final Duration WINDOW_MARGIN = Duration.ofSeconds(1);

  /** A sold-out coupon as Redis held it, and everything that must still go to Redis. */
  private record Ledger(
      LiveCoupon coupon,
      Set<String> keys,
      Set<String> users,
      Set<String> orders,
      long expiresAtNanos) {

    boolean expired(long nowNanos) {
      return nowNanos - expiresAtNanos >= 0;
    }

    Ledger renewed(long expiresAt) {
      return new Ledger(coupon, keys, users, orders, expiresAt);
    }
  }

  private final Ticker ticker;

  private final CouponFunctions functions;
  private final RedisGuard redis;
  private final long ttlNanos;
  private final ConcurrentMap<Long, Ledger> ledgers = new ConcurrentHashMap<>();
  private final ConcurrentMap<Long, Boolean> building = new ConcurrentHashMap<>();
  private final AtomicLong drops = new AtomicLong();
  private final Counter localAnswers;

  SoldOutLedgers(
      CouponFunctions functions, RedisGuard redis, Duration ttl, MeterRegistry registry) {
    this(functions, redis, ttl, registry, Ticker.systemTicker());
  }

  /**
   * @param ticker this process's monotonic clock (nanoseconds), which times every ledger
   */
  SoldOutLedgers(
      CouponFunctions functions,
      RedisGuard redis,
      Duration ttl,
      MeterRegistry registry,
      Ticker ticker) {
    this.ticker = ticker;
    this.functions = functions;
    this.redis = redis;
    this.ttlNanos = ttl.toNanos();
    this.localAnswers =
        Counter.builder("couponflow.coupons.sold.out.local")
            .description("Redemptions answered SOLD_OUT from a sold-out ledger, without Redis")
            .register(registry);
    Gauge.builder("couponflow.coupons.sold.out.ledgers", ledgers, ConcurrentMap::size)
        .description("Sold-out coupons this gateway answers locally")
        .register(registry);
  }

  /** Whether Redis could answer this request nothing but SOLD_OUT (see the class comment). */
  boolean soldOut(RedeemRequest request) {
    if (ttlNanos == 0) {
      return false;
    }
    Ledger ledger = ledgers.get(request.couponId());
    if (ledger == null) {
      return false;
    }
    if (ledger.expired(ticker.read())) {
      ledgers.remove(request.couponId(), ledger);
      return false;
    }
    LiveCoupon c = ledger.coupon();
    if (c.definition().status() != CouponStatus.ACTIVE
        || request.orderAmountCents() < c.definition().thresholdCents()
        || ledger.keys().contains(request.idempotencyKey())
        || ledger.users().contains(request.userId())
        || ledger.orders().contains(request.orderId())) {
      return false;
    }
    localAnswers.increment();
    return true;
  }

  /** Redis just answered SOLD_OUT for this coupon: build or renew its ledger in the background. */
  void onSoldOut(long couponId) {
    if (ttlNanos == 0) {
      return;
    }
    Ledger current = ledgers.get(couponId);
    if (current != null && !current.expired(ticker.read())) {
      return;
    }
    if (building.putIfAbsent(couponId, Boolean.TRUE) != null) {
      return;
    }
    long dropsAtStart = drops.get();
    snapshot(couponId, current)
        .whenComplete(
            (ledger, failure) -> {
              building.remove(couponId);
              if (failure != null) {
                log.debug("No sold-out ledger for coupon {}: {}", couponId, failure.toString());
              } else if (ledger.isPresent() && drops.get() == dropsAtStart) {
                ledgers.put(couponId, ledger.get());
              }
            });
  }

  /** Forgets a coupon's ledger (its stock or definition changed). */
  void drop(long couponId) {
    drops.incrementAndGet();
    ledgers.remove(couponId);
  }

  private CompletableFuture<Optional<Ledger>> snapshot(long couponId, Ledger previous) {
    long asked = ticker.read();
    CompletableFuture<Instant> redisNow =
        redis.call(RedisGuard.Call.SNAPSHOT, () -> functions.time(couponId));
    return redis
        .call(RedisGuard.Call.SNAPSHOT, () -> functions.coupon(couponId))
        .thenCombine(redisNow, (before, now) -> new Seen(before, expiry(before, now, asked)))
        .thenCompose(
            seen -> {
              if (seen.coupon().isEmpty()
                  || seen.coupon().get().stock() > 0
                  || seen.expiresAt().isEmpty()) {
                return CompletableFuture.completedFuture(Optional.<Ledger>empty());
              }
              LiveCoupon c = seen.coupon().get();
              long expiresAt = seen.expiresAt().getAsLong();
              if (previous != null && unchanged(previous.coupon(), c)) {
                return CompletableFuture.completedFuture(Optional.of(previous.renewed(expiresAt)));
              }
              if (c.accepted() + c.reversed() > MAX_ENTRIES) {
                return CompletableFuture.completedFuture(Optional.<Ledger>empty());
              }
              return functions
                  .members(c.couponId(), c.buckets())
                  .thenCompose(
                      members ->
                          redis
                              .call(RedisGuard.Call.SNAPSHOT, () -> functions.coupon(couponId))
                              .thenApply(
                                  after ->
                                      after.isPresent() && unchanged(c, after.get())
                                          ? Optional.of(
                                              new Ledger(
                                                  c,
                                                  members.idempotencyKeys(),
                                                  members.users(),
                                                  members.orders(),
                                                  expiresAt))
                                          : Optional.<Ledger>empty()));
            });
  }

  /** The coupon as the first read of a snapshot saw it, and when a ledger of it must end. */
  private record Seen(Optional<LiveCoupon> coupon, OptionalLong expiresAt) {}

  /**
   * When a ledger of {@code coupon} taken now must stop answering, on {@link #ticker}: after the
   * TTL, and {@link #WINDOW_MARGIN} before the coupon's window closes by the Redis clock; empty
   * when that moment is past already or the window has not opened yet by the Redis clock.
   *
   * @param redisNow the Redis time, asked at {@code askedNanos} or later
   */
  private OptionalLong expiry(Optional<LiveCoupon> coupon, Instant redisNow, long askedNanos) {
    if (coupon.isEmpty()) {
      return OptionalLong.empty();
    }
    LiveCoupon c = coupon.get();
    long now = redisNow.toEpochMilli();
    long untilEnd = c.definition().endsAt().toEpochMilli() - WINDOW_MARGIN.toMillis() - now;
    if (now < c.definition().startsAt().toEpochMilli() + WINDOW_MARGIN.toMillis()
        || untilEnd <= 0) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(
        askedNanos + Math.min(ttlNanos, TimeUnit.MILLISECONDS.toNanos(untilEnd)));
  }

  private static boolean unchanged(LiveCoupon a, LiveCoupon b) {
    return a.stock() == b.stock()
        && a.accepted() == b.accepted()
        && a.reversed() == b.reversed()
        && a.definition().version() == b.definition().version()
        && a.definition().status() == b.definition().status()
        && a.buckets() == b.buckets();
  }
}
