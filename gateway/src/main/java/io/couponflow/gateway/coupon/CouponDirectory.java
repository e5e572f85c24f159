package io.couponflow.gateway.coupon;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.Database;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.ibatis.session.SqlSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's local tier of coupon metadata (Caffeine).
 *
 * <p>What it decides: only that a coupon id is unknown (a short negative entry, so unknown ids do
 * not reach MySQL), and the bucket count that names a coupon's keys. Stock, limits, windows and
 * idempotency are decided by Redis on every request.
 *
 * <p>Loading: from Redis ({@code cf_coupon}); when Redis does not hold the coupon, one load per
 * gateway reads MySQL on the blocking executor and puts it into Redis through {@code cf_load}, the
 * same function the preheat job uses. Entries refresh from Redis in the background.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class CouponDirectory {
  private static final Logger log = LoggerFactory.getLogger(CouponDirectory.class);

  private final CouponFunctions functions;
  private final Database database;
  private final Executor blocking;
  private final AsyncLoadingCache<Long, Optional<LiveCoupon>> cache;

  public CouponDirectory(
      CouponFunctions functions,
      Database database,
      Executor blocking,
      Duration refresh,
      Duration negativeTtl,
      MeterRegistry registry) {
    this.functions = functions;
    this.database = database;
    this.blocking = blocking;
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
            .buildAsync((id, executor) -> load(id));
    CaffeineCacheMetrics.monitor(registry, cache, "coupons");
  }

  /** The coupon's cached metadata; empty when it exists nowhere. */
  public CompletableFuture<Optional<LiveCoupon>> find(long couponId) {
    return cache.get(couponId);
  }

  /** The coupon as Redis holds it right now (live stock), loading it into Redis if needed. */
  public CompletableFuture<Optional<LiveCoupon>> fresh(long couponId) {
    return functions
        .coupon(couponId)
        .thenCompose(
            live -> {
              if (live.isPresent()) {
                cache.put(couponId, CompletableFuture.completedFuture(live));
                return CompletableFuture.completedFuture(live);
              }
              cache.synchronous().invalidate(couponId);
              return find(couponId);
            });
  }

  /** Drops what is cached for a coupon (it changed, or Redis lost it). */
  public void invalidate(long couponId) {
    cache.synchronous().invalidate(couponId);
  }

  /** Loads a coupon into the local tier (after a preheat published it). */
  public void warm(long couponId) {
    cache.synchronous().refresh(couponId);
  }

  private CompletableFuture<Optional<LiveCoupon>> load(long couponId) {
    return functions
        .coupon(couponId)
        .thenCompose(
            live ->
                live.isPresent()
                    ? CompletableFuture.completedFuture(live)
                    : CompletableFuture.supplyAsync(() -> readMySql(couponId), blocking)
                        .thenCompose(
                            found ->
                                found
                                    .map(this::loadIntoRedis)
                                    .orElse(CompletableFuture.completedFuture(Optional.empty()))));
  }

  private CompletableFuture<Optional<LiveCoupon>> loadIntoRedis(Definition found) {
    return functions
        .load(found.coupon(), found.counts().accepted(), found.counts().reversed())
        .thenCompose(
            outcome -> {
              if (outcome instanceof LoadOutcome.Refused refused) {
                log.error(
                    "Coupon {} cannot be loaded into Redis: {}",
                    found.coupon().couponId(),
                    refused.reason());
              } else {
                log.info(
                    "Loaded coupon {} into Redis on demand: {}",
                    found.coupon().couponId(),
                    outcome);
              }
              return functions.coupon(found.coupon().couponId());
            });
  }

  private record Definition(Coupon coupon, RedemptionCounts counts) {}

  private Optional<Definition> readMySql(long couponId) {
    try (SqlSession session = database.sessions().openSession(true)) {
      return session
          .getMapper(CouponMapper.class)
          .findById(couponId)
          .map(
              c ->
                  new Definition(c, session.getMapper(RedemptionMapper.class).countsFor(couponId)));
    } catch (RuntimeException e) {
      throw new MetadataUnavailableException(
          "coupon " + couponId + " is not in Redis and MySQL cannot be read: " + e.getMessage(), e);
    }
  }
}
