package io.couponflow.gateway.http;

import io.couponflow.gateway.security.Role;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.EnumSet;
import java.util.Set;

/**
 * The API's routes, and for each the role it requires (with mTLS) and what it may answer: its
 * success status and the errors of its own. Errors any request can meet before it reaches a route
 * (malformed HTTP, limits, overload, shutdown) are {@link #TRANSPORT_ERRORS}. The OpenAPI document
 * ({@code openapi.yaml}) describes exactly this table; a test keeps the two in step.
 */
public enum Route {
  REDEEM(
      "redeem",
      Role.REDEEM,
      HttpMethod.POST,
      "/v1/redemptions",
      HttpResponseStatus.CREATED,
      EnumSet.of(
          ApiError.INVALID_REQUEST,
          ApiError.FORBIDDEN,
          ApiError.UNSUPPORTED_MEDIA_TYPE,
          ApiError.COUPON_NOT_FOUND,
          ApiError.COUPON_NOT_ACTIVE,
          ApiError.SOLD_OUT,
          ApiError.USER_LIMIT_REACHED,
          ApiError.ORDER_ALREADY_REDEEMED,
          ApiError.ORDER_BELOW_THRESHOLD,
          ApiError.IDEMPOTENCY_KEY_REUSED,
          ApiError.UNAVAILABLE,
          ApiError.INTERNAL)),
  REVERSE(
      "reverse",
      Role.REVERSE,
      HttpMethod.POST,
      "/v1/redemptions/{redemptionId}/reversal",
      HttpResponseStatus.OK,
      EnumSet.of(
          ApiError.INVALID_REQUEST,
          ApiError.FORBIDDEN,
          ApiError.UNSUPPORTED_MEDIA_TYPE,
          ApiError.REDEMPTION_NOT_FOUND,
          ApiError.UNAVAILABLE,
          ApiError.INTERNAL)),
  GET_REDEMPTION(
      "get_redemption",
      Role.READ,
      HttpMethod.GET,
      "/v1/redemptions/{redemptionId}",
      HttpResponseStatus.OK,
      EnumSet.of(
          ApiError.FORBIDDEN,
          ApiError.REDEMPTION_NOT_FOUND,
          ApiError.UNAVAILABLE,
          ApiError.INTERNAL)),
  GET_COUPON(
      "get_coupon",
      Role.READ,
      HttpMethod.GET,
      "/v1/coupons/{couponId}",
      HttpResponseStatus.OK,
      EnumSet.of(
          ApiError.FORBIDDEN, ApiError.COUPON_NOT_FOUND, ApiError.UNAVAILABLE, ApiError.INTERNAL)),
  /** No route matched the path; answers only transport errors. */
  UNMATCHED("unmatched", null, null, null, null, EnumSet.noneOf(ApiError.class)),
  /** The request could not be read as HTTP; answers only transport errors. */
  MALFORMED("malformed", null, null, null, null, EnumSet.noneOf(ApiError.class));

  /** What any request may be answered before, or instead of, its route's own answers. */
  public static final Set<ApiError> TRANSPORT_ERRORS =
      EnumSet.of(
          ApiError.INVALID_REQUEST,
          ApiError.NOT_FOUND,
          ApiError.METHOD_NOT_ALLOWED,
          ApiError.REQUEST_TIMEOUT,
          ApiError.PAYLOAD_TOO_LARGE,
          ApiError.URI_TOO_LONG,
          ApiError.HEADERS_TOO_LARGE,
          ApiError.UNAVAILABLE);

  private static final String REDEMPTIONS = "/v1/redemptions";
  private static final String REDEMPTIONS_SLASH = "/v1/redemptions/";
  private static final String REVERSAL = "/reversal";
  private static final String COUPONS_SLASH = "/v1/coupons/";

  private final String metricName;
  private final Role role;
  private final HttpMethod method;
  private final String template;
  private final HttpResponseStatus success;
  private final Set<ApiError> errors;

  Route(
      String metricName,
      Role role,
      HttpMethod method,
      String template,
      HttpResponseStatus success,
      Set<ApiError> errors) {
    this.metricName = metricName;
    this.role = role;
    this.method = method;
    this.template = template;
    this.success = success;
    this.errors = errors;
  }

  /** The route's name in metrics. */
  public String metricName() {
    return metricName;
  }

  /** The role a caller needs for this route (with mTLS); null for the pseudo-routes. */
  public Role role() {
    return role;
  }

  /** The one method the route serves; null for the pseudo-routes. */
  public HttpMethod method() {
    return method;
  }

  /** The path as OpenAPI writes it; null for the pseudo-routes. */
  public String template() {
    return template;
  }

  /** The status of a successful answer; null for the pseudo-routes. */
  public HttpResponseStatus success() {
    return success;
  }

  /** The errors this route answers with besides {@link #TRANSPORT_ERRORS}. */
  public Set<ApiError> errors() {
    return errors;
  }

  /** A route and the path parameter it found (empty for {@link #REDEEM}). */
  record Match(Route route, String parameter) {}

  private static final Match REDEEM_MATCH = new Match(REDEEM, "");
  private static final Match NO_MATCH = new Match(UNMATCHED, "");

  /** The route a path (without its query) names; {@link #UNMATCHED} when none does. */
  static Match match(String path) {
    if (path.equals(REDEMPTIONS)) {
      return REDEEM_MATCH;
    }
    if (path.startsWith(REDEMPTIONS_SLASH)) {
      int from = REDEMPTIONS_SLASH.length();
      int slash = path.indexOf('/', from);
      if (slash < 0) {
        return from < path.length() ? new Match(GET_REDEMPTION, path.substring(from)) : NO_MATCH;
      }
      if (slash > from && path.length() - slash == REVERSAL.length() && path.endsWith(REVERSAL)) {
        return new Match(REVERSE, path.substring(from, slash));
      }
      return NO_MATCH;
    }
    if (path.startsWith(COUPONS_SLASH)) {
      int from = COUPONS_SLASH.length();
      if (from < path.length() && path.indexOf('/', from) < 0) {
        return new Match(GET_COUPON, path.substring(from));
      }
    }
    return NO_MATCH;
  }
}
