package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.couponflow.gateway.RawHttp;
import io.couponflow.gateway.coupon.MetadataUnavailableException;
import io.couponflow.gateway.security.Caller;
import io.couponflow.gateway.security.Role;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.RedisReplies;
import io.couponflow.lua.Rejection;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Redemption;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisCommandTimeoutException;
import io.netty.channel.ChannelHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Routing, validation and the one outcome-to-HTTP mapping of {@link ApiRouter}, through the API's
 * pipeline on an {@code EmbeddedChannel} in front of a {@link FakeRedemptions}: every outcome of
 * every route, every failure of the request path, admission and its permits.
 */
class ApiRouterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CT = "Content-Type: application/json";
  private static final Redemption R = FakeRedemptions.redemption(42, "SO-1");

  private ApiChannel api = new ApiChannel();

  @AfterEach
  void finish() {
    api.close();
  }

  private static byte[] redeem(String key) {
    return RawHttp.request(
        "POST",
        "/v1/redemptions",
        List.of(CT, "Idempotency-Key: " + key),
        "{\"couponId\":42,\"userId\":\"u-1\",\"orderId\":\"SO-1\",\"orderAmountCents\":35000}"
            .getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] get(String path) {
    return RawHttp.request("GET", path, List.of(), null);
  }

  private static byte[] reverse(String id, String body) {
    return RawHttp.request(
        "POST",
        "/v1/redemptions/" + id + "/reversal",
        body == null ? List.of() : List.of(CT),
        body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode json(ApiChannel.Response r) throws Exception {
    return JSON.readTree(r.body());
  }

  private static void assertError(ApiChannel.Response r, int status, String code) throws Exception {
    assertThat(r.status()).as(r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    assertThat(json(r).at("/error/code").asText()).isEqualTo(code);
  }

  @Test
  void router_isSharable_oneInstanceServesEveryConnection() {
    assertThat(ApiRouter.class.isAnnotationPresent(ChannelHandler.Sharable.class)).isTrue();
    assertThat(RequestSequencer.class.isAnnotationPresent(ChannelHandler.Sharable.class)).isFalse();
  }

  @Test
  void redeem_accepted_is201WithTheRedemption_andTheCallCarriesTheRequest() throws Exception {
    api.service.redeem = r -> done(new RedeemOutcome.Accepted(R, "1-0"));

    ApiChannel.Response r = api.exchange(redeem("k-1"));

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.header("Idempotent-Replayed")).isNull();
    assertThat(r.header("Connection")).isEqualTo("keep-alive");
    assertThat(json(r).get("redemptionId").asText()).isEqualTo("42.SO-1.1");
    assertThat(json(r).get("status").asText()).isEqualTo("ACCEPTED");
    assertThat(api.service.calls).containsExactly("redeem 42 k-1 u-1 SO-1 35000");
    assertThat(api.inFlight.current()).isZero();
  }

  @Test
  void redeem_replayed_is201WithIdempotentReplayed() throws Exception {
    api.service.redeem = r -> done(new RedeemOutcome.Replayed(R));

    ApiChannel.Response r = api.exchange(redeem("k-1"));

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(json(r).get("redemptionId").asText()).isEqualTo("42.SO-1.1");
  }

  @ParameterizedTest
  @EnumSource(Rejection.class)
  void redeem_rejected_isTheRejectionsOwnError(Rejection rejection) throws Exception {
    api.service.redeem = r -> done(new RedeemOutcome.Rejected(rejection));

    ApiChannel.Response r = api.exchange(redeem("k-1"));

    ApiError error = ApiError.valueOf(rejection.name());
    assertError(r, error.status().code(), rejection.name());
    assertThat(Route.REDEEM.errors()).contains(error);
    assertThat(r.header("Connection")).isEqualTo("keep-alive");
  }

  @Test
  void reverse_reversed_is200WithTheReversedRedemption() throws Exception {
    api.service.reverse =
        id -> done(new ReverseOutcome.Reversed(FakeRedemptions.reversed(R), false, "2-0"));

    ApiChannel.Response r = api.exchange(reverse("42.SO-1.1", "{\"reason\":\"cancelled\"}"));

    assertThat(r.status()).isEqualTo(200);
    assertThat(json(r).get("status").asText()).isEqualTo("REVERSED");
    assertThat(json(r).get("reversedAt").asText()).isEqualTo("2026-01-01T00:00:05Z");
    assertThat(api.service.calls).containsExactly("reverse 42.SO-1.1 cancelled");
  }

  @Test
  void reverse_withoutBody_hasNoReason() {
    api.service.reverse =
        id -> done(new ReverseOutcome.Reversed(FakeRedemptions.reversed(R), true, null));

    assertThat(api.exchange(reverse("42.SO-1.1", null)).status()).isEqualTo(200);
    assertThat(api.service.calls).containsExactly("reverse 42.SO-1.1 ");
  }

  @Test
  void reverse_notFoundOrCouponMissing_is404RedemptionNotFoundNamingTheId() throws Exception {
    api.service.reverse = id -> done(new ReverseOutcome.NotFound());
    ApiChannel.Response notFound = api.exchange(reverse("42.SO-1.1", null));
    api.service.reverse = id -> done(new ReverseOutcome.CouponMissing());
    ApiChannel.Response missing = api.exchange(reverse("42.SO-1.1", null));

    for (ApiChannel.Response r : List.of(notFound, missing)) {
      assertError(r, 404, "REDEMPTION_NOT_FOUND");
      assertThat(json(r).at("/error/message").asText()).isEqualTo("no redemption 42.SO-1.1");
    }
  }

  @Test
  void getRedemption_found_is200_notFoundOrCouponMissing_is404() throws Exception {
    api.service.get = id -> done(new RedemptionLookup.Found(R));
    ApiChannel.Response found = api.exchange(get("/v1/redemptions/42.SO-1.1"));
    api.service.get = id -> done(new RedemptionLookup.NotFound());
    ApiChannel.Response notFound = api.exchange(get("/v1/redemptions/42.SO-1.1"));
    api.service.get = id -> done(new RedemptionLookup.CouponMissing());
    ApiChannel.Response missing = api.exchange(get("/v1/redemptions/42.SO-1.1"));

    assertThat(found.status()).isEqualTo(200);
    assertThat(json(found).get("redemptionId").asText()).isEqualTo("42.SO-1.1");
    assertError(notFound, 404, "REDEMPTION_NOT_FOUND");
    assertError(missing, 404, "REDEMPTION_NOT_FOUND");
    assertThat(api.service.calls).containsOnly("get 42.SO-1.1");
  }

  @Test
  void getCoupon_present_is200WithRemainingStock_absent_is404() throws Exception {
    api.service.coupon = id -> done(Optional.of(FakeRedemptions.coupon(id, 90)));
    ApiChannel.Response present = api.exchange(get("/v1/coupons/7"));
    api.service.coupon = id -> done(Optional.empty());
    ApiChannel.Response absent = api.exchange(get("/v1/coupons/7"));

    assertThat(present.status()).isEqualTo(200);
    assertThat(json(present).get("couponId").asLong()).isEqualTo(7);
    assertThat(json(present).get("remainingStock").asLong()).isEqualTo(90);
    assertError(absent, 404, "COUPON_NOT_FOUND");
    assertThat(api.service.calls).containsExactly("coupon 7", "coupon 7");
  }

  @Test
  void redisUnavailableOrReset_breakerOpen_orDefinitionUnreadable_are503WithRetryAfter()
      throws Exception {
    List<Throwable> failures =
        List.of(
            RedisReplies.map(new RedisCommandTimeoutException("slow")),
            CallNotPermittedException.createCallNotPermittedException(
                CircuitBreaker.ofDefaults("redis")),
            new MetadataUnavailableException("mysql down", null),
            new java.io.IOException("Connection reset by peer"));
    for (Throwable failure : failures) {
      api.service.redeem = r -> CompletableFuture.failedFuture(failure);

      ApiChannel.Response r = api.exchange(redeem("k-1"));

      assertError(r, 503, "UNAVAILABLE");
      assertThat(r.header("Retry-After")).isEqualTo("1");
      assertThat(r.header("Connection")).isEqualTo("keep-alive");
    }
    assertThat(api.inFlight.current()).isZero();
  }

  @Test
  void fencedCoupon_redeemReverseAndGet_are503WithRetryAfter() throws Exception {
    api.service.redeem = r -> done(new RedeemOutcome.Fenced());
    api.service.reverse = id -> done(new ReverseOutcome.Fenced());
    api.service.get = id -> done(new RedemptionLookup.Fenced());

    for (ApiChannel.Response r :
        List.of(
            api.exchange(redeem("k-1")),
            api.exchange(reverse("42.SO-1.1", null)),
            api.exchange(get("/v1/redemptions/42.SO-1.1")))) {
      assertError(r, 503, "UNAVAILABLE");
      assertThat(r.header("Retry-After")).isEqualTo("1");
      assertThat(json(r).at("/error/message").asText()).contains("being repaired");
    }
    assertThat(api.inFlight.current()).isZero();
  }

  @Test
  void anyOtherFailure_is500Internal_andTheConnectionGoesOn() throws Exception {
    api.service.get = id -> CompletableFuture.failedFuture(new IllegalStateException("bug"));
    ApiChannel.Response failed = api.exchange(get("/v1/redemptions/42.SO-1.1"));
    api.service.coupon =
        id -> {
          throw new IllegalStateException("thrown, not returned");
        };
    ApiChannel.Response thrown = api.exchange(get("/v1/coupons/1"));

    assertError(failed, 500, "INTERNAL");
    assertThat(failed.header("Retry-After")).isNull();
    assertError(thrown, 500, "INTERNAL");
    assertThat(api.isOpen()).isTrue();
    assertThat(api.inFlight.current()).isZero();
  }

  @Test
  void routing_unknownPath_is404_wrongMethod_is405WithAllow() throws Exception {
    ApiChannel.Response unknown = api.exchange(get("/v1/redemption"));
    ApiChannel.Response wrong =
        api.exchange(RawHttp.request("DELETE", "/v1/coupons/1", List.of(), null));
    ApiChannel.Response getOnPost = api.exchange(get("/v1/redemptions"));

    assertError(unknown, 404, "NOT_FOUND");
    assertError(wrong, 405, "METHOD_NOT_ALLOWED");
    assertThat(wrong.header("Allow")).isEqualTo("GET, HEAD");
    assertThat(json(wrong).at("/error/message").asText())
        .isEqualTo("method DELETE is not allowed here");
    assertError(getOnPost, 405, "METHOD_NOT_ALLOWED");
    assertThat(getOnPost.header("Allow")).isEqualTo("POST");
    assertThat(api.service.calls).isEmpty();
  }

  @Test
  void head_onTheGetRoutes_isAnsweredAsGetWithoutTheBody() {
    api.service.coupon = id -> done(Optional.of(FakeRedemptions.coupon(id, 90)));
    api.service.get = id -> done(new RedemptionLookup.NotFound());
    for (String path : List.of("/v1/coupons/7", "/v1/redemptions/42.SO-1.1", "/v1/coupons/x")) {
      ApiChannel.Response get = api.exchange(get(path));
      api.send(RawHttp.request("HEAD", path, List.of(), null));
      ApiChannel.Response head = api.readHead();

      assertThat(head.status()).as(path).isEqualTo(get.status());
      assertThat(head.headers()).as(path).isEqualTo(get.headers());
      assertThat(head.raw())
          .as(path)
          .isEqualTo(get.raw().substring(0, get.raw().indexOf("\r\n\r\n") + 4));
      assertThat(api.available()).as("no body follows").isFalse();
    }
    assertThat(api.service.calls)
        .containsExactly("coupon 7", "coupon 7", "get 42.SO-1.1", "get 42.SO-1.1");
  }

  @Test
  void head_onAPostRoute_is405WithAllow() {
    api.send(RawHttp.request("HEAD", "/v1/redemptions", List.of(), null));
    ApiChannel.Response r = api.readHead();

    assertThat(r.status()).isEqualTo(405);
    assertThat(r.header("Allow")).isEqualTo("POST");
    assertThat(Integer.parseInt(r.header("Content-Length"))).isPositive();
    assertThat(api.available()).isFalse();
    assertThat(api.service.calls).isEmpty();
  }

  @Test
  void routing_queryIsIgnored_andPathParametersAreParsed() {
    api.exchange(get("/v1/coupons/9223372036854775807?x=1"));
    api.exchange(get("/v1/redemptions/5.o_1-x.12"));

    assertThat(api.service.calls).containsExactly("coupon 9223372036854775807", "get 5.o_1-x.12");
  }

  @Test
  void routing_absoluteFormTarget_isRoutedByItsPath() throws Exception {
    api.service.redeem = r -> done(new RedeemOutcome.Accepted(R, "1-0"));
    String body =
        "{\"couponId\":42,\"userId\":\"u-1\",\"orderId\":\"SO-1\",\"orderAmountCents\":35000}";

    ApiChannel.Response redeemed =
        api.exchange(
            "POST http://gateway.example/v1/redemptions HTTP/1.1\r\nHost: gateway.example\r\n"
                + CT
                + "\r\nIdempotency-Key: k-abs\r\nContent-Length: "
                + body.length()
                + "\r\n\r\n"
                + body);
    ApiChannel.Response coupon =
        api.exchange("GET HTTPS://h:8443/v1/coupons/7?x=/y HTTP/1.1\r\nHost: h:8443\r\n\r\n");
    ApiChannel.Response noPath = api.exchange("GET http://h?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
    ApiChannel.Response otherScheme =
        api.exchange("GET ftp://h/v1/coupons/7 HTTP/1.1\r\nHost: h\r\n\r\n");

    assertThat(redeemed.status()).isEqualTo(201);
    assertError(coupon, 404, "COUPON_NOT_FOUND");
    assertError(noPath, 404, "NOT_FOUND");
    assertError(otherScheme, 404, "NOT_FOUND");
    assertThat(api.service.calls).containsExactly("redeem 42 k-abs u-1 SO-1 35000", "coupon 7");
  }

  @Test
  void routing_couponIdBeyondLongOrNotCanonical_isCouponNotFoundWithoutACall() throws Exception {
    for (String id : List.of("9223372036854775808", "01", "0", "-1", "1e3", "")) {
      ApiChannel.Response r = api.exchange(get("/v1/coupons/" + id));

      assertError(r, 404, id.isEmpty() ? "NOT_FOUND" : "COUPON_NOT_FOUND");
    }
    assertThat(api.service.calls).isEmpty();
  }

  @Test
  void admission_beyondMaxInFlight_valid503_invalidStill4xx_permitsComeBack() throws Exception {
    api.close();
    api = new ApiChannel(Map.of(), 1);
    CompletableFuture<RedeemOutcome> pending = new CompletableFuture<>();
    api.service.redeem = r -> pending;
    api.send(redeem("k-1"));
    assertThat(api.inFlight.current()).isEqualTo(1);

    try (ApiChannel second = api.anotherConnection()) {
      ApiChannel.Response overloaded = second.exchange(redeem("k-2"));
      ApiChannel.Response invalid = second.exchange(redeem("bad key"));

      assertError(overloaded, 503, "UNAVAILABLE");
      assertThat(overloaded.header("Retry-After")).isEqualTo("1");
      assertThat(json(overloaded).at("/error/message").asText())
          .isEqualTo("too many requests in flight; retry shortly");
      assertThat(overloaded.header("Connection")).isEqualTo("keep-alive");
      assertError(invalid, 400, "INVALID_REQUEST");
    }
    pending.complete(new RedeemOutcome.Accepted(R, "1-0"));

    assertThat(api.read().status()).isEqualTo(201);
    assertThat(api.inFlight.current()).isZero();
    assertThat(api.service.calls).containsExactly("redeem 42 k-1 u-1 SO-1 35000");
  }

  @Test
  void host_http11WithoutOne_is400AndClosed_andNothingIsCalled() throws Exception {
    ApiChannel.Response r = api.exchange("GET /v1/coupons/1 HTTP/1.1\r\n\r\n");

    assertError(r, 400, "INVALID_REQUEST");
    assertThat(json(r).at("/error/message").asText()).contains("Host");
    assertThat(r.header("Connection")).isEqualTo("close");
    assertThat(api.service.calls).isEmpty();
  }

  @Test
  void host_validForms_andHttp10WithoutOne_areServed() {
    for (String request :
        List.of(
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: example.com\r\n\r\n",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: \r\n\r\n",
            "GET /v1/coupons/1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")) {
      assertThat(api.exchange(request).status()).as(request).isEqualTo(404);
    }
    assertThat(api.service.calls).hasSize(5);
  }

  @Test
  void draining_answers503WithConnectionClose_andCloses() throws Exception {
    api.inFlight.startDraining();

    ApiChannel.Response r = api.exchange(get("/v1/coupons/1"));

    assertError(r, 503, "UNAVAILABLE");
    assertThat(r.header("Retry-After")).isEqualTo("1");
    assertThat(r.header("Connection")).isEqualTo("close");
    assertThat(api.isOpen()).isFalse();
    assertThat(api.service.calls).isEmpty();
  }

  @Test
  void answers_areByteForByteAsBefore() {
    ApiChannel.Response notFound = api.exchange(get("/nope"));
    api.service.redeem = r -> done(new RedeemOutcome.Replayed(R));
    ApiChannel.Response replayed = api.exchange(redeem("k-1"));

    assertThat(notFound.raw())
        .isEqualTo(
            "HTTP/1.1 404 Not Found\r\n"
                + "content-type: application/json\r\n"
                + "content-length: 59\r\n"
                + "connection: keep-alive\r\n\r\n"
                + "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such resource\"}}");
    assertThat(replayed.raw())
        .isEqualTo(
            "HTTP/1.1 201 Created\r\n"
                + "content-type: application/json\r\n"
                + "idempotent-replayed: true\r\n"
                + "content-length: 194\r\n"
                + "connection: keep-alive\r\n\r\n"
                + "{\"redemptionId\":\"42.SO-1.1\",\"couponId\":42,\"userId\":\"u-1\","
                + "\"orderId\":\"SO-1\",\"orderAmountCents\":35000,\"discountCents\":5000,"
                + "\"status\":\"ACCEPTED\",\"acceptedAt\":\"2026-01-01T00:00:00Z\",\"reversedAt\":null}");
  }

  private static <T> CompletableFuture<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  private void callerIs(String name, Role... roles) {
    api.channel.attr(ClientIdentity.CALLER).set(new Caller(name, Set.of(roles)));
  }

  @Test
  void callerWithoutTheRole_isForbidden_beforeAnythingElseIsChecked() throws Exception {
    callerIs("checkout", Role.REDEEM, Role.READ);

    // no body at all, and an invalid id: the role decides first
    ApiChannel.Response r = api.exchange(reverse("not-an-id", "{\"oops\""));

    assertError(r, 403, "FORBIDDEN");
    assertThat(json(r).at("/error/message").asText())
        .isEqualTo(
            "the client certificate of 'checkout' does not have the role 'reverse'"
                + " (COUPON_HTTP_CLIENT_ROLES)");
    assertThat(r.header("Connection")).isEqualTo("keep-alive");
    assertThat(api.service.calls).isEmpty();
    assertThat(api.inFlight.current()).isZero();
    assertThat(
            api.registry
                .get("couponflow.http.requests")
                .tag("route", "reverse")
                .tag("status", "403")
                .tag("outcome", "FORBIDDEN")
                .timer()
                .count())
        .isEqualTo(1);
  }

  @Test
  void eachRoute_needsItsRole() throws Exception {
    api.service.redeem = r -> done(new RedeemOutcome.Accepted(R, "1-0"));
    callerIs("reader", Role.READ);
    assertError(api.exchange(redeem("k-1")), 403, "FORBIDDEN");
    assertThat(api.exchange(get("/v1/coupons/42")).status()).isEqualTo(404);
    api.send(RawHttp.request("HEAD", "/v1/redemptions/42.SO-1.1", List.of(), null));
    assertThat(api.readHead().status()).isEqualTo(404);

    callerIs("redeemer", Role.REDEEM);
    assertThat(api.exchange(redeem("k-2")).status()).isEqualTo(201);
    assertError(api.exchange(get("/v1/coupons/42")), 403, "FORBIDDEN");
    assertError(api.exchange(get("/v1/redemptions/42.SO-1.1")), 403, "FORBIDDEN");

    assertThat(api.service.calls)
        .containsExactly("coupon 42", "get 42.SO-1.1", "redeem 42 k-2 u-1 SO-1 35000");
  }

  @Test
  void unknownPathsAndMethods_areAnsweredAsBefore_whateverTheRoles() throws Exception {
    callerIs("nobody");

    assertError(api.exchange(get("/v2/nothing")), 404, "NOT_FOUND");
    assertError(api.exchange(get("/v1/redemptions")), 405, "METHOD_NOT_ALLOWED");
    assertThat(api.service.calls).isEmpty();
  }

  @Test
  void connectionWithoutACaller_hasNoRole() throws Exception {
    api.channel.attr(ClientIdentity.CALLER).set(null);

    ApiChannel.Response r = api.exchange(get("/v1/coupons/42"));

    assertError(r, 403, "FORBIDDEN");
    assertThat(json(r).at("/error/message").asText())
        .isEqualTo(
            "the client certificate does not have the role 'read' (COUPON_HTTP_CLIENT_ROLES)");
    assertThat(api.service.calls).isEmpty();
  }
}
