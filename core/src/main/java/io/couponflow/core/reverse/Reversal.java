package io.couponflow.core.reverse;

import io.couponflow.core.live.CouponCalls;
import io.couponflow.core.live.LiveCoupons;
import io.couponflow.core.live.RedisCalls;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The reversal (冲正) of one redemption: the one use case behind {@code POST
 * /v1/redemptions/{id}/reversal} and {@code coupons reverse}.
 *
 * <p>Redis decides ({@code cf_reverse}): the stock, the user's quota and the order's slot come back
 * atomically, and the reversal enters the coupon's outbox in the same step. The coupon is found,
 * and made live or repaired from MySQL when Redis lacks it or fenced it, through the caller's
 * {@link LiveCoupons} ({@link CouponCalls}). The outbox entry of a reversal made now is handed to
 * the caller's {@link Recorder}: the gateway queues it for its sink, the CLI stores it in MySQL at
 * once. Reversing again changes nothing and hands nothing on.
 *
 * <p>Thread-safety: safe for use by many threads; never blocks.
 *
 * @param <R> what the recorder reports of an entry
 */
public final class Reversal<R> {
  /**
   * The longest reason, in characters (code points, not UTF-16 units): MySQL keeps it in a
   * VARCHAR(256) of utf8mb4.
   */
  public static final int MAX_REASON = 256;

  private final CouponFunctions functions;
  private final RedisCalls redis;
  private final CouponCalls coupons;
  private final Recorder<R> recorder;

  public Reversal(
      CouponFunctions functions, RedisCalls redis, LiveCoupons coupons, Recorder<R> recorder) {
    this.functions = functions;
    this.redis = redis;
    this.coupons = new CouponCalls(coupons);
    this.recorder = recorder;
  }

  /** Port: takes the outbox entry of each reversal Redis has just made. */
  @FunctionalInterface
  public interface Recorder<R> {
    /**
     * Called once per reversal made now, never for a replay, on the thread that completed Redis's
     * answer (a Redis client thread): it must not block, and hands blocking work to an executor of
     * its own. Whatever it does, the reversal stands: the entry is in the outbox.
     *
     * @return what became of the entry, as the caller reports it
     */
    CompletableFuture<R> record(Entry reversal);
  }

  /**
   * A reversal Redis has just made.
   *
   * @param outboxEntry its entry in the coupon's outbox, as MySQL is to store it
   * @param operator who asked for it; null when unknown
   */
  public record Entry(Redemption redemption, OutboxEntry outboxEntry, String operator) {}

  /**
   * @param recorded what the recorder reported; empty when nothing was reversed now (a replay, or
   *     no such redemption)
   */
  public record Result<R>(ReverseOutcome outcome, Optional<R> recorded) {}

  /**
   * Reverses one redemption.
   *
   * @param reason why, stored with the reversal (at most {@link #MAX_REASON} characters, as the
   *     caller checked); null for none
   * @param operator who asks (an operator, an API client), handed on to the recorder; may be null
   * @return the outcome; {@link ReverseOutcome.CouponMissing} when the coupon is unknown even to
   *     MySQL, {@link ReverseOutcome.Fenced} when it is still fenced after its repair. Failures of
   *     Redis, MySQL or the recorder complete it exceptionally.
   */
  public CompletableFuture<Result<R>> reverse(RedemptionId id, String reason, String operator) {
    return coupons
        .run(
            id.couponId(),
            ReverseOutcome.CouponMissing::new,
            coupon -> redis.call(() -> functions.reverse(id, coupon.buckets(), reason)),
            ReverseOutcome.CouponMissing.class::isInstance,
            ReverseOutcome.Fenced.class::isInstance)
        .thenCompose(
            outcome -> {
              if (outcome instanceof ReverseOutcome.Reversed reversed
                  && reversed.outboxId() != null) {
                Entry entry =
                    new Entry(
                        reversed.redemption(),
                        OutboxEntry.reversed(reversed.outboxId(), reversed.redemption(), reason),
                        operator);
                return recorder
                    .record(entry)
                    .thenApply(recorded -> new Result<>(outcome, Optional.of(recorded)));
              }
              return CompletableFuture.completedFuture(new Result<R>(outcome, Optional.empty()));
            });
  }
}
