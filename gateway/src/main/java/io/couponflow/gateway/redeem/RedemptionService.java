package io.couponflow.gateway.redeem;

import io.couponflow.core.live.CouponCalls;
import io.couponflow.core.live.LiveCoupons;
import io.couponflow.core.live.RedisCalls;
import io.couponflow.core.reverse.Reversal;
import io.couponflow.gateway.coupon.CouponDirectory;
import io.couponflow.gateway.resilience.RedisGuard;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.Rejection;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.RedemptionId;
import io.couponflow.sink.Sink;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Redeem, reverse and look up, as the API offers them: Redis decides through the couponflow
 * functions (behind the {@link RedisGuard}), and what Redis accepted or reversed goes onto the
 * sink's queue. The reversal is core's use case ({@link Reversal}), the one the CLI runs too. A
 * sold-out coupon's storm is answered from the {@link CouponDirectory}'s ledger. It returns what
 * Redis decided, as outcome values; what they mean in HTTP is the API's business.
 *
 * <p>Fenced coupons: when Redis answers FENCED (it restarted or failed over since the coupon's
 * state was last known whole), the call waits up to the repair wait for the coupon's repair from
 * MySQL ({@link CouponDirectory#repair}) and is then made once more ({@link CouponCalls}, the rule
 * every use case's call follows); a coupon still fenced by then is answered with the fenced outcome
 * (503 with Retry-After).
 *
 * <p>Thread-safety: safe for use by many threads; nothing here blocks.
 */
public final class RedemptionService implements Redemptions {
  /**
   * The outbox id of an entry written for a replay (COUPON_DURABILITY=mysql): the replay does not
   * know its accept's entry id; a row written from it keeps this id, and acknowledging it deletes
   * nothing.
   */
  static final String REPLAY_ENTRY_ID = "0-0";

  private static final CompletableFuture<RedeemOutcome> SOLD_OUT =
      CompletableFuture.completedFuture(new RedeemOutcome.Rejected(Rejection.SOLD_OUT));

  private final CouponFunctions functions;
  private final RedisGuard redis;
  private final CouponDirectory coupons;
  private final Sink sink;
  private final Durability durability;
  private final Duration durabilityWait;
  private final CouponCalls calls;
  private final Reversal<Boolean> reversal;

  /**
   * @param repairWait how long a request for a fenced coupon waits for its repair
   *     (COUPON_REPAIR_WAIT)
   * @param durability when a redemption is answered: once Redis accepted it, or once MySQL stored
   *     it too (COUPON_DURABILITY)
   * @param durabilityWait how long a redemption waits for MySQL with {@code mysql} durability
   */
  public RedemptionService(
      CouponFunctions functions,
      RedisGuard redis,
      CouponDirectory coupons,
      Sink sink,
      Duration repairWait,
      Durability durability,
      Duration durabilityWait) {
    this.functions = functions;
    this.redis = redis;
    this.coupons = coupons;
    this.sink = sink;
    this.durability = durability;
    this.durabilityWait = durabilityWait;
    LiveCoupons tier = tier(coupons, repairWait);
    this.calls = new CouponCalls(tier);
    this.reversal =
        new Reversal<>(functions, guarded(redis, RedisGuard.Call.REVERSE), tier, this::queue);
  }

  @Override
  public CompletableFuture<RedeemOutcome> redeem(RedeemRequest request) {
    if (coupons.soldOutLocally(request)) {
      return SOLD_OUT;
    }
    return calls
        .run(
            request.couponId(),
            () -> new RedeemOutcome.Rejected(Rejection.COUPON_NOT_FOUND),
            coupon ->
                redis.call(
                    RedisGuard.Call.REDEEM, () -> functions.redeem(request, coupon.buckets())),
            outcome ->
                outcome instanceof RedeemOutcome.Rejected r
                    && r.rejection() == Rejection.COUPON_NOT_FOUND,
            RedeemOutcome.Fenced.class::isInstance)
        .thenCompose(
            outcome -> {
              if (outcome instanceof RedeemOutcome.Rejected r
                  && r.rejection() == Rejection.SOLD_OUT) {
                coupons.soldOutInRedis(request.couponId());
              }
              if (outcome instanceof RedeemOutcome.Accepted accepted) {
                OutboxEntry entry =
                    OutboxEntry.accepted(
                        accepted.outboxId(), accepted.redemption(), request.idempotencyKey());
                if (durability == Durability.REDIS) {
                  sink.offer(entry);
                  return CompletableFuture.completedFuture(outcome);
                }
                return stored(entry, outcome);
              }
              if (outcome instanceof RedeemOutcome.Replayed replayed
                  && durability == Durability.MYSQL) {
                // The first answer may not have waited for MySQL (it timed out): make sure MySQL
                // holds the row before answering it again. A row it holds already is unchanged.
                return stored(
                    OutboxEntry.accepted(
                        REPLAY_ENTRY_ID, replayed.redemption(), request.idempotencyKey()),
                    outcome);
              }
              return CompletableFuture.completedFuture(outcome);
            });
  }

  /** {@code outcome} once MySQL holds the entry's row (COUPON_DURABILITY=mysql). */
  private CompletableFuture<RedeemOutcome> stored(OutboxEntry entry, RedeemOutcome outcome) {
    return sink.offerDurable(entry)
        .orTimeout(durabilityWait.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (done, failure) -> {
              if (failure != null) {
                throw new NotDurableException(
                    "redemption "
                        + entry.field("r").orElse("?")
                        + " is accepted but MySQL has not stored it yet",
                    failure);
              }
              return outcome;
            });
  }

  @Override
  public CompletableFuture<ReverseOutcome> reverse(RedemptionId id, String reason) {
    return reversal.reverse(id, reason, null).thenApply(Reversal.Result::outcome);
  }

  /** The reversal's recorder: the entry goes onto the sink's queue, and every gateway is told. */
  private CompletableFuture<Boolean> queue(Reversal.Entry reversal) {
    boolean queued = sink.offer(reversal.outboxEntry());
    coupons.changedHere(reversal.redemption().couponId());
    return CompletableFuture.completedFuture(queued);
  }

  @Override
  public CompletableFuture<RedemptionLookup> get(RedemptionId id) {
    return calls.run(
        id.couponId(),
        RedemptionLookup.CouponMissing::new,
        coupon -> redis.call(RedisGuard.Call.GET, () -> functions.get(id, coupon.buckets())),
        outcome -> outcome instanceof RedemptionLookup.CouponMissing,
        RedemptionLookup.Fenced.class::isInstance);
  }

  @Override
  public CompletableFuture<Optional<LiveCoupon>> coupon(long couponId) {
    return coupons.fresh(couponId);
  }

  /** The guard as the use cases' port, for calls of one kind. */
  private static RedisCalls guarded(RedisGuard redis, RedisGuard.Call kind) {
    return new RedisCalls() {
      @Override
      public <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> call) {
        return redis.call(kind, call);
      }
    };
  }

  /** The coupon tier as the use cases' port: a repair is waited for at most the repair wait. */
  private static LiveCoupons tier(CouponDirectory coupons, Duration repairWait) {
    return new LiveCoupons() {
      @Override
      public CompletableFuture<Optional<LiveCoupon>> find(long couponId) {
        return coupons.find(couponId);
      }

      @Override
      public void forget(long couponId) {
        coupons.invalidate(couponId);
      }

      @Override
      public CompletableFuture<?> repair(long couponId) {
        return coupons.repair(couponId).orTimeout(repairWait.toMillis(), TimeUnit.MILLISECONDS);
      }
    };
  }
}
