package io.couponflow.gateway.http;

import io.couponflow.gateway.redeem.Redemptions;
import io.couponflow.lua.Counters;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.Rejection;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * The service port as a test double for the HTTP layer: records every call it gets, and answers
 * each with what the test set (by default an answer that changes nothing: unknown coupon, no such
 * redemption). A call recorded is a call that could have changed state; a request the API refused
 * must leave {@link #calls} empty.
 */
final class FakeRedemptions implements Redemptions {
  static final Instant ACCEPTED_AT = Instant.parse("2026-01-01T00:00:00Z");

  /**
   * Every call, as {@code "redeem ..."}, {@code "reverse ..."}, {@code "get ..."}, {@code "coupon
   * ..."}.
   */
  final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());

  Function<RedeemRequest, CompletableFuture<RedeemOutcome>> redeem =
      r ->
          CompletableFuture.completedFuture(new RedeemOutcome.Rejected(Rejection.COUPON_NOT_FOUND));
  Function<RedemptionId, CompletableFuture<ReverseOutcome>> reverse =
      id -> CompletableFuture.completedFuture(new ReverseOutcome.NotFound());
  Function<RedemptionId, CompletableFuture<RedemptionLookup>> get =
      id -> CompletableFuture.completedFuture(new RedemptionLookup.NotFound());
  Function<Long, CompletableFuture<Optional<LiveCoupon>>> coupon =
      id -> CompletableFuture.completedFuture(Optional.empty());

  @Override
  public CompletableFuture<RedeemOutcome> redeem(RedeemRequest request) {
    calls.add(
        "redeem "
            + request.couponId()
            + " "
            + request.idempotencyKey()
            + " "
            + request.userId()
            + " "
            + request.orderId()
            + " "
            + request.orderAmountCents());
    return redeem.apply(request);
  }

  @Override
  public CompletableFuture<ReverseOutcome> reverse(RedemptionId id, String reason) {
    calls.add("reverse " + id + " " + reason);
    return reverse.apply(id);
  }

  @Override
  public CompletableFuture<RedemptionLookup> get(RedemptionId id) {
    calls.add("get " + id);
    return get.apply(id);
  }

  @Override
  public CompletableFuture<Optional<LiveCoupon>> coupon(long couponId) {
    calls.add("coupon " + couponId);
    return coupon.apply(couponId);
  }

  /** An accepted redemption of {@code couponId} for order {@code orderId}, as Redis returns one. */
  static Redemption redemption(long couponId, String orderId) {
    return new Redemption(
        new RedemptionId(couponId, orderId, 1),
        "u-1",
        35_000,
        5_000,
        RedemptionStatus.ACCEPTED,
        ACCEPTED_AT,
        null);
  }

  static Redemption reversed(Redemption r) {
    return new Redemption(
        r.redemptionId(),
        r.userId(),
        r.orderAmountCents(),
        r.discountCents(),
        RedemptionStatus.REVERSED,
        r.acceptedAt(),
        r.acceptedAt().plusSeconds(5));
  }

  static LiveCoupon coupon(long couponId, long remaining) {
    return new LiveCoupon(
        new Coupon(
            couponId,
            "coupon " + couponId,
            100,
            1,
            0,
            500,
            ACCEPTED_AT,
            ACCEPTED_AT.plusSeconds(3_600),
            CouponStatus.ACTIVE,
            false,
            1,
            1),
        new Counters(remaining, 100 - remaining, 0));
  }
}
