package io.couponflow.gateway.redeem;

import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.RedemptionId;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the API asks of the service: redeem, reverse and look up, each answered with an outcome
 * value. Infrastructure failures complete the future exceptionally (mapped by {@code
 * RedisReplies.map}); the HTTP layer decides what each outcome and failure means to a client.
 *
 * <p>Thread-safety: implementations are safe for use by many threads and never block.
 */
public interface Redemptions {
  CompletableFuture<RedeemOutcome> redeem(RedeemRequest request);

  /** {@link ReverseOutcome.CouponMissing} when the coupon is unknown even after loading it. */
  CompletableFuture<ReverseOutcome> reverse(RedemptionId id, String reason);

  /** {@link RedemptionLookup.CouponMissing} when the coupon is unknown even after loading it. */
  CompletableFuture<RedemptionLookup> get(RedemptionId id);

  /** The coupon with live stock, loading it into Redis when needed; empty when unknown. */
  CompletableFuture<Optional<LiveCoupon>> coupon(long couponId);
}
