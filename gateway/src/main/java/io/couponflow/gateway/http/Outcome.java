package io.couponflow.gateway.http;

import io.couponflow.gateway.coupon.MetadataUnavailableException;
import io.couponflow.gateway.redeem.NotDurableException;
import io.couponflow.gateway.security.Caller;
import io.couponflow.gateway.security.Role;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.RedisReplies;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Redemption;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a request came to, in the API's terms: each outcome value of the service, and each failure
 * of the request path, reduced to one {@link Kind} with what its answer shows. {@link
 * ApiRouter#answer} maps every kind to HTTP in one switch. An outcome meaning "nothing was decided,
 * retry" (Redis unreachable, a breaker open, a coupon that cannot decide right now) is {@link
 * #unavailable}: 503 UNAVAILABLE with {@code Retry-After: 1}. An outcome this class does not know
 * fails the request as a bug (500, logged), never a guess.
 *
 * @param redemption the redemption shown, for the kinds that show one
 * @param coupon the coupon shown, for {@link Kind#COUPON}
 * @param detail the raw redemption id for {@link Kind#REDEMPTION_NOT_FOUND}, the reason for {@link
 *     Kind#UNAVAILABLE} and {@link Kind#FORBIDDEN}; empty otherwise
 */
record Outcome(Kind kind, Redemption redemption, LiveCoupon coupon, String detail) {
  private static final Logger log = LoggerFactory.getLogger(Outcome.class);

  /** Every answer a route can give after its request was found valid. */
  enum Kind {
    ACCEPTED,
    REPLAYED,
    REVERSED,
    FOUND,
    COUPON,
    COUPON_NOT_FOUND,
    COUPON_NOT_ACTIVE,
    SOLD_OUT,
    USER_LIMIT_REACHED,
    ORDER_ALREADY_REDEEMED,
    ORDER_BELOW_THRESHOLD,
    IDEMPOTENCY_KEY_REUSED,
    REDEMPTION_NOT_FOUND,
    /** The caller's certificate lacks the route's role; nothing was asked of the service. */
    FORBIDDEN,
    /** Nothing was decided and a retry may succeed: 503 with {@code Retry-After}. */
    UNAVAILABLE,
    /** The service could not decide: a bug, logged. */
    INTERNAL
  }

  /** Why a fenced coupon's request is answered 503: it is being repaired from MySQL. */
  static final String FENCED =
      "the coupon is being repaired after a Redis restart or failover; retry shortly";

  static Outcome of(RedeemOutcome outcome) {
    if (outcome instanceof RedeemOutcome.Accepted a) {
      return shows(Kind.ACCEPTED, a.redemption());
    }
    if (outcome instanceof RedeemOutcome.Replayed r) {
      return shows(Kind.REPLAYED, r.redemption());
    }
    if (outcome instanceof RedeemOutcome.Fenced) {
      return unavailable(FENCED);
    }
    if (outcome instanceof RedeemOutcome.Rejected r) {
      return switch (r.rejection()) {
        case COUPON_NOT_FOUND -> just(Kind.COUPON_NOT_FOUND);
        case COUPON_NOT_ACTIVE -> just(Kind.COUPON_NOT_ACTIVE);
        case SOLD_OUT -> just(Kind.SOLD_OUT);
        case USER_LIMIT_REACHED -> just(Kind.USER_LIMIT_REACHED);
        case ORDER_ALREADY_REDEEMED -> just(Kind.ORDER_ALREADY_REDEEMED);
        case ORDER_BELOW_THRESHOLD -> just(Kind.ORDER_BELOW_THRESHOLD);
        case IDEMPOTENCY_KEY_REUSED -> just(Kind.IDEMPOTENCY_KEY_REUSED);
      };
    }
    throw unknown(outcome);
  }

  static Outcome of(ReverseOutcome outcome, String rawId) {
    if (outcome instanceof ReverseOutcome.Reversed r) {
      return shows(Kind.REVERSED, r.redemption());
    }
    if (outcome instanceof ReverseOutcome.NotFound
        || outcome instanceof ReverseOutcome.CouponMissing) {
      return redemptionNotFound(rawId);
    }
    if (outcome instanceof ReverseOutcome.Fenced) {
      return unavailable(FENCED);
    }
    throw unknown(outcome);
  }

  static Outcome of(RedemptionLookup lookup, String rawId) {
    if (lookup instanceof RedemptionLookup.Found f) {
      return shows(Kind.FOUND, f.redemption());
    }
    if (lookup instanceof RedemptionLookup.NotFound
        || lookup instanceof RedemptionLookup.CouponMissing) {
      return redemptionNotFound(rawId);
    }
    if (lookup instanceof RedemptionLookup.Fenced) {
      return unavailable(FENCED);
    }
    throw unknown(lookup);
  }

  static Outcome of(Optional<LiveCoupon> coupon) {
    return coupon
        .map(c -> new Outcome(Kind.COUPON, null, c, ""))
        .orElseGet(() -> just(Kind.COUPON_NOT_FOUND));
  }

  /** A failed call: unavailable when Redis, its breaker or the coupon's definition is the cause. */
  static Outcome of(Throwable failure) {
    Throwable unwrapped = failure;
    while (unwrapped instanceof java.util.concurrent.CompletionException
        && unwrapped.getCause() != null) {
      unwrapped = unwrapped.getCause();
    }
    // Failures of the gateway's own making first: their causes may be MySQL's I/O errors, which
    // the Redis mapping below would take for Redis's.
    if (unwrapped instanceof MetadataUnavailableException) {
      return unavailable("the coupon's definition cannot be read right now; retry shortly");
    }
    if (unwrapped instanceof NotDurableException) {
      return unavailable(
          "the redemption is accepted but not yet stored; retry with the same Idempotency-Key");
    }
    RuntimeException cause = RedisReplies.map(failure);
    if (cause instanceof RedisReplies.RedisUnavailableException) {
      return unavailable("redemptions cannot be decided right now; retry shortly");
    }
    if (cause instanceof CallNotPermittedException) {
      return unavailable("Redis is failing; retry shortly");
    }
    log.error("Request failed", cause);
    return just(Kind.INTERNAL);
  }

  /** The caller may not use a route that needs {@code role}. */
  static Outcome forbidden(Caller caller, Role role) {
    String who =
        caller.name().isEmpty()
            ? "the client certificate"
            : "the client certificate of '" + ApiRouter.printable(caller.name()) + "'";
    return new Outcome(
        Kind.FORBIDDEN,
        null,
        null,
        who + " does not have the role '" + role.configName() + "' (COUPON_HTTP_CLIENT_ROLES)");
  }

  static Outcome unavailable(String reason) {
    return new Outcome(Kind.UNAVAILABLE, null, null, reason);
  }

  static Outcome redemptionNotFound(String rawId) {
    return new Outcome(Kind.REDEMPTION_NOT_FOUND, null, null, rawId);
  }

  private static Outcome shows(Kind kind, Redemption redemption) {
    return new Outcome(kind, redemption, null, "");
  }

  private static Outcome just(Kind kind) {
    return new Outcome(kind, null, null, "");
  }

  private static IllegalStateException unknown(Object outcome) {
    return new IllegalStateException("no answer for the outcome " + outcome);
  }
}
