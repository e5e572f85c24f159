package io.couponflow.gateway.coupon;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.couponflow.core.live.CouponRepair;
import io.couponflow.gateway.resilience.RedisGuard;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.sql.MySqlFailures;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's local tier of coupon metadata (Caffeine), and the sold-out hints.
 *
 * <p>What it decides locally, and only this: that a coupon id is unknown (a short negative entry,
 * so unknown ids do not reach MySQL), the bucket count that names a coupon's keys, and that a
 * sold-out coupon would refuse a request (see {@link SoldOutLedgers} for the exact rule). Stock,
 * limits, windows and idempotency are decided by Redis.
 *
 * <p>Loading: from Redis ({@code cf_coupon}); when Redis does not hold the coupon, one load per
 * gateway and coupon at a time (Caffeine's single flight) reads the definition from MySQL on the
 * blocking executor, behind the {@code mysql-lookup} breaker, and puts it into Redis through {@code
 * CouponRepair}, the use case the preheat job and ops use too; a coupon that already has
 * redemptions (Redis lost it) gets their records back before it is live again. Entries refresh from
 * Redis in the background; a failed refresh keeps the entry. MySQL being down therefore stops only
 * the first load of a coupon Redis does not hold: that request is answered 503, never 404.
 *
 * <p>Repairs: a coupon Redis answers FENCED for (Redis restarted or failed over since its state was
 * last known whole) is repaired from MySQL by {@link #repair}, once per gateway and coupon at a
 * time: this gateway's sink first writes what it queued, then {@link CouponRepair} rebuilds the
 * coupon, waiting while the Redis node settles. Requests wait for the repair a bounded time.
 *
 * <p>Thread-safety: safe for use by many threads; nothing here blocks the caller.
 */
public final class CouponDirectory {
  private static final Logger log = LoggerFactory.getLogger(CouponDirectory.class);

  private final CouponFunctions functions;
  private final RedisGuard redis;
  private final CouponDefinitions definitions;
  private final CouponRepair repair;
  private final BooleanSupplier sinkDrained;
  private final ConcurrentHashMap<Long, CompletableFuture<CouponRepair.Outcome>> repairs =
      new ConcurrentHashMap<>();
  private final CircuitBreaker mysql;
  private final Executor blocking;
  private final SoldOutLedgers soldOut;
  private final AsyncLoadingCache<Long, Optional<LiveCoupon>> cache;

  /**
   * @param refresh how often an entry is refreshed from Redis
   * @param negativeTtl how long an unknown id is answered locally
   * @param soldOutHint how long a sold-out ledger answers locally; zero turns the hints off
   * @param sinkDrained waits (boundedly) until this gateway's sink wrote what it queued
   */
  public CouponDirectory(
      CouponFunctions functions,
      RedisGuard redis,
      CouponDefinitions definitions,
      CouponRepair repair,
      BooleanSupplier sinkDrained,
      CircuitBreaker mysql,
      Executor blocking,
      Duration refresh,
      Duration negativeTtl,
      Duration soldOutHint,
      MeterRegistry registry) {
    this.functions = functions;
    this.redis = redis;
    this.definitions = definitions;
    this.repair = repair;
    this.sinkDrained = sinkDrained;
    this.mysql = mysql;
    this.blocking = blocking;
    this.soldOut = new SoldOutLedgers(functions, redis, soldOutHint, registry);
    long positiveNanos = refresh.multipliedBy(30).toNanos();
    long negativeNanos = negativeTtl.toNanos();
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(1_000_000)
            .refreshAfterWrite(refresh)
            .expireAfter(
                new Expiry<Long, Optional<LiveCoupon>>() {
                  @Override
                  public long expireAfterCreate(Long key, Optional<LiveCoupon> value, long now) {
                    return value.isPresent() ? positiveNanos : negativeNanos;
                  }

                  @Override
                  public long expireAfterUpdate(
                      Long key, Optional<LiveCoupon> value, long now, long current) {
                    return expireAfterCreate(key, value, now);
                  }

                  @Override
                  public long expireAfterRead(
                      Long key, Optional<LiveCoupon> value, long now, long current) {
                    return current;
                  }
                })
            .recordStats()
            .buildAsync(
                new AsyncCacheLoader<Long, Optional<LiveCoupon>>() {
                  @Override
                  public CompletableFuture<Optional<LiveCoupon>> asyncLoad(
                      Long id, Executor executor) {
                    return load(id);
                  }

                  @Override
                  public CompletableFuture<Optional<LiveCoupon>> asyncReload(
                      Long id, Optional<LiveCoupon> old, Executor executor) {
                    return load(id).exceptionally(e -> old);
                  }
                });
    CaffeineCacheMetrics.monitor(registry, cache, "coupons");
  }

  /** The coupon's cached metadata; empty when it exists nowhere. */
  public CompletableFuture<Optional<LiveCoupon>> find(long couponId) {
    return cache.get(couponId);
  }

  /** The coupon as Redis holds it right now (live stock), loading it into Redis if needed. */
  public CompletableFuture<Optional<LiveCoupon>> fresh(long couponId) {
    return redis
        .call(RedisGuard.Call.COUPON, () -> functions.coupon(couponId))
        .thenCompose(
            live -> {
              if (live.isPresent()) {
                cache.put(couponId, CompletableFuture.completedFuture(live));
                return CompletableFuture.completedFuture(live);
              }
              if (knownToExist(couponId)) {
                cache.synchronous().invalidate(couponId);
              }
              // Redis just said it lacks the coupon: a miss goes straight to MySQL.
              return cache.get(couponId, (id, executor) -> loadFromMySql(id));
            });
  }

  /** Whether the tier holds the coupon's metadata (so Redis lacking it means Redis lost it). */
  private boolean knownToExist(long couponId) {
    CompletableFuture<Optional<LiveCoupon>> cached = cache.getIfPresent(couponId);
    return cached != null
        && cached.isDone()
        && !cached.isCompletedExceptionally()
        && cached.join().isPresent();
  }

  /** Drops what is known locally of a coupon (it changed, or Redis lost it). */
  public void invalidate(long couponId) {
    soldOut.drop(couponId);
    cache.synchronous().invalidate(couponId);
  }

  /** Loads a coupon into the local tier again (after a preheat loaded it). */
  public void warm(long couponId) {
    soldOut.drop(couponId);
    cache.synchronous().refresh(couponId);
  }

  /** This gateway changed a coupon's stock (a reversal): drop it here and tell the others. */
  public void changedHere(long couponId) {
    invalidate(couponId);
    functions
        .publishChanged(couponId)
        .whenComplete(
            (receivers, e) -> {
              if (e != null) {
                log.debug("Could not publish the change of coupon {}: {}", couponId, e.toString());
              }
            });
  }

  /** Whether a sold-out ledger answers this request SOLD_OUT without Redis. */
  public boolean soldOutLocally(RedeemRequest request) {
    return soldOut.soldOut(request);
  }

  /** Redis answered SOLD_OUT for this coupon. */
  public void soldOutInRedis(long couponId) {
    soldOut.onSoldOut(couponId);
  }

  private CompletableFuture<Optional<LiveCoupon>> load(long couponId) {
    return redis
        .call(RedisGuard.Call.COUPON, () -> functions.coupon(couponId))
        .thenCompose(
            live ->
                live.isPresent()
                    ? CompletableFuture.completedFuture(live)
                    : loadFromMySql(couponId));
  }

  /** Reads a coupon Redis does not hold from MySQL and loads it into Redis; empty when unknown. */
  private CompletableFuture<Optional<LiveCoupon>> loadFromMySql(long couponId) {
    return CompletableFuture.supplyAsync(() -> readDefinition(couponId), blocking)
        .thenCompose(
            found ->
                found
                    .map(this::loadIntoRedis)
                    .orElse(CompletableFuture.completedFuture(Optional.empty())));
  }

  private Optional<CouponDefinitions.Definition> readDefinition(long couponId) {
    try {
      return mysql.executeSupplier(() -> definitions.read(couponId));
    } catch (CallNotPermittedException e) {
      throw new MetadataUnavailableException(
          "coupon " + couponId + " is not in Redis and MySQL is failing; retry shortly", e);
    }
  }

  private CompletableFuture<Optional<LiveCoupon>> loadIntoRedis(
      CouponDefinitions.Definition found) {
    long couponId = found.coupon().couponId();
    return makeLive(couponId, () -> repair.makeLive(found.coupon()))
        .thenCompose(
            outcome -> {
              log.info(
                  "Loaded coupon {} into Redis on demand: {}",
                  couponId,
                  outcome.getClass().getSimpleName());
              return redis.call(RedisGuard.Call.COUPON, () -> functions.coupon(couponId));
            });
  }

  /**
   * Repairs a fenced coupon from MySQL, or joins the repair already running for it on this gateway.
   * Never blocks the caller.
   *
   * @return completes when the coupon is live again (true), or when MySQL does not know it (false)
   */
  public CompletableFuture<Boolean> repair(long couponId) {
    CompletableFuture<CouponRepair.Outcome> running =
        repairs.computeIfAbsent(
            couponId,
            id -> {
              CompletableFuture<CouponRepair.Outcome> started =
                  makeLive(id, () -> repair.makeLive(id));
              started.whenComplete((outcome, e) -> repairs.remove(id));
              return started;
            });
    return running.thenApply(
        outcome -> {
          invalidate(couponId);
          return !(outcome instanceof CouponRepair.Outcome.Unknown);
        });
  }

  /**
   * Runs a make-live step on the blocking executor behind the {@code mysql-lookup} breaker, after
   * this gateway's sink wrote what it queued, and again after the Redis node settled when it was
   * too young.
   */
  private CompletableFuture<CouponRepair.Outcome> makeLive(
      long couponId, java.util.function.Supplier<CouponRepair.Outcome> step) {
    return CompletableFuture.supplyAsync(
            () -> {
              if (!sinkDrained.getAsBoolean()) {
                log.warn(
                    "Repairing coupon {} while this gateway's sink still holds queued redemptions"
                        + " (MySQL slow?)",
                    couponId);
              }
              try {
                return mysql.executeSupplier(
                    () -> {
                      try {
                        return step.get();
                      } catch (RuntimeException e) {
                        if (MySqlFailures.isOutage(e)) {
                          throw new MetadataUnavailableException(
                              "coupon " + couponId + " cannot be made live while MySQL is failing",
                              e);
                        }
                        throw e;
                      }
                    });
              } catch (CallNotPermittedException e) {
                throw new MetadataUnavailableException(
                    "coupon " + couponId + " cannot be repaired while MySQL is failing", e);
              }
            },
            blocking)
        .thenCompose(
            outcome -> {
              if (outcome instanceof CouponRepair.Outcome.Settling settling) {
                return CompletableFuture.supplyAsync(
                        () -> null,
                        CompletableFuture.delayedExecutor(
                            settling.remaining().toMillis() + 1, TimeUnit.MILLISECONDS, blocking))
                    .thenCompose(v -> makeLive(couponId, step));
              }
              return CompletableFuture.completedFuture(outcome);
            });
  }
}
