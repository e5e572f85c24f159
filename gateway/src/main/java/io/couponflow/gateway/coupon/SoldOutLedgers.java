package io.couponflow.gateway.coupon;

import io.couponflow.gateway.resilience.RedisGuard;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.CouponStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
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

  private final CouponFunctions functions;
  private final RedisGuard redis;
  private final long ttlNanos;
  private final ConcurrentMap<Long, Ledger> ledgers = new ConcurrentHashMap<>();
  private final ConcurrentMap<Long, Boolean> building = new ConcurrentHashMap<>();
  private final AtomicLong drops = new AtomicLong();
  private final Counter localAnswers;

  SoldOutLedgers(
      CouponFunctions functions, RedisGuard redis, Duration ttl, MeterRegistry registry) {
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
    if (ledger.expired(System.nanoTime())) {
      ledgers.remove(request.couponId(), ledger);
      return false;
    }
    LiveCoupon c = ledger.coupon();
    Instant now = Instant.now();
    if (c.status() != CouponStatus.ACTIVE
        || now.isBefore(c.startsAt().plus(WINDOW_MARGIN))
        || !now.plus(WINDOW_MARGIN).isBefore(c.endsAt())
        || request.orderAmountCents() < c.thresholdCents()
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
    if (current != null && !current.expired(System.nanoTime())) {
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
    return redis
        .call(RedisGuard.Call.SNAPSHOT, () -> functions.coupon(couponId))
        .thenCompose(
            before -> {
              if (before.isEmpty() || before.get().stock() > 0) {
                return CompletableFuture.completedFuture(Optional.<Ledger>empty());
              }
              LiveCoupon c = before.get();
              if (previous != null && unchanged(previous.coupon(), c)) {
                return CompletableFuture.completedFuture(
                    Optional.of(previous.renewed(System.nanoTime() + ttlNanos)));
              }
              if (c.accepted() + c.reversed() > MAX_ENTRIES) {
                return CompletableFuture.completedFuture(Optional.<Ledger>empty());
              }
              return readMembers(c)
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
                                                  members.get(0),
                                                  members.get(1),
                                                  members.get(2),
                                                  System.nanoTime() + ttlNanos))
                                          : Optional.<Ledger>empty()));
            });
  }

  /** Every idempotency key, user and order the coupon's buckets hold, in that order. */
  private CompletableFuture<List<Set<String>>> readMembers(LiveCoupon c) {
    CouponKeys keys = functions.keys(c.couponId(), c.buckets());
    List<Set<String>> members = List.of(new HashSet<>(), new HashSet<>(), new HashSet<>());
    List<java.util.function.IntFunction<String>> kinds =
        List.of(keys::idempotencyBucket, keys::usersBucket, keys::ordersBucket);
    List<CompletableFuture<Void>> reads = new ArrayList<>(3 * c.buckets());
    for (int k = 0; k < kinds.size(); k++) {
      Set<String> into = members.get(k);
      for (int b = 0; b < c.buckets(); b++) {
        String key = kinds.get(k).apply(b);
        reads.add(
            functions
                .redis()
                .commands()
                .hkeys(key)
                .toCompletableFuture()
                .thenAccept(
                    names -> {
                      synchronized (into) {
                        into.addAll(names);
                      }
                    }));
      }
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> members);
  }

  private static boolean unchanged(LiveCoupon a, LiveCoupon b) {
    return a.stock() == b.stock()
        && a.accepted() == b.accepted()
        && a.reversed() == b.reversed()
        && a.version() == b.version()
        && a.status() == b.status()
        && a.buckets() == b.buckets();
  }
}
