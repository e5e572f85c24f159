package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One test per row of the contract's status tables, through real HTTP against real Redis and
 * MariaDB. Each answer is also checked against openapi.yaml. The 503 rows are in {@code
 * RedisOutageIT} (they need a Redis of their own to stop).
 */
class StatusTableIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final OpenApiDoc DOC = OpenApiDoc.load();
  private static final String REDEEM = "/v1/redemptions";
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    fx = GatewayFixture.start(StatusTableIT.class);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void redeem_accepted_returns201WithTheRedemption() throws Exception {
    fx.createCoupon(101, 10, 1, 30_000, 5_000);

    HttpResponse<String> r = fx.redeem("k-101", 101, "u-1", "SO-1", 35_000);

    assertThat(r.statusCode()).isEqualTo(201);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("redemptionId").asText()).isEqualTo("101.SO-1.1");
    assertThat(body.get("couponId").asLong()).isEqualTo(101);
    assertThat(body.get("userId").asText()).isEqualTo("u-1");
    assertThat(body.get("orderId").asText()).isEqualTo("SO-1");
    assertThat(body.get("orderAmountCents").asLong()).isEqualTo(35_000);
    assertThat(body.get("discountCents").asLong()).isEqualTo(5_000);
    assertThat(body.get("status").asText()).isEqualTo("ACCEPTED");
    assertThat(Instant.parse(body.get("acceptedAt").asText()))
        .isBetween(Instant.now().minusSeconds(60), Instant.now().plusSeconds(1));
    assertThat(body.get("reversedAt").isNull()).isTrue();
    assertThat(r.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(fx.get("/v1/coupons/101").body()).contains("\"remainingStock\":9");
    assertDocumented(REDEEM, "POST", r);
  }

  @Test
  void redeem_discountAboveAmount_discountsTheAmount() throws Exception {
    fx.createCoupon(102, 10, 1, 0, 5_000);

    HttpResponse<String> r = fx.redeem("k-102", 102, "u-1", "SO-1", 1_200);

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(JSON.readTree(r.body()).get("discountCents").asLong()).isEqualTo(1_200);
  }

  @Test
  void redeem_sameKeyOnTwoCoupons_isTwoRedemptions_aKeyIsScopedToItsCoupon() throws Exception {
    fx.createCoupon(121, 10, 1, 0, 100);
    fx.createCoupon(122, 10, 1, 0, 100);

    HttpResponse<String> first = fx.redeem("k-shared", 121, "u-1", "SO-1", 1_000);
    HttpResponse<String> second = fx.redeem("k-shared", 122, "u-1", "SO-1", 1_000);

    assertThat(first.statusCode()).isEqualTo(201);
    assertThat(second.statusCode()).isEqualTo(201);
    assertThat(second.headers().firstValue("Idempotent-Replayed")).isEmpty();
    assertThat(JSON.readTree(first.body()).get("redemptionId").asText()).isEqualTo("121.SO-1.1");
    assertThat(JSON.readTree(second.body()).get("redemptionId").asText()).isEqualTo("122.SO-1.1");
    assertThat(fx.get("/v1/coupons/121").body()).contains("\"remainingStock\":9");
    assertThat(fx.get("/v1/coupons/122").body()).contains("\"remainingStock\":9");
    assertDocumented(REDEEM, "POST", second);
  }

  @Test
  void redeem_replayedKey_returnsTheFirstAnswerAndChangesNothing() {
    fx.createCoupon(103, 10, 1, 0, 100);
    HttpResponse<String> first = fx.redeem("k-103", 103, "u-1", "SO-1", 1_000);
    String before = fx.state(103);

    HttpResponse<String> again = fx.redeem("k-103", 103, "u-1", "SO-1", 1_000);

    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(again.headers().firstValue("Idempotent-Replayed")).contains("true");
    assertThat(fx.state(103)).isEqualTo(before);
    assertDocumented(REDEEM, "POST", again);
  }

  @Test
  void redeem_badField_returns400InvalidRequest() {
    HttpResponse<String> r =
        fx.send(
            post(
                    REDEEM,
                    "{\"couponId\":\"101\",\"userId\":\"u\",\"orderId\":\"o\",\"orderAmountCents\":1}")
                .header("Idempotency-Key", "k")
                .build());

    assertError(r, 400, "INVALID_REQUEST");
    assertThat(r.body()).contains("couponId");
    assertDocumented(REDEEM, "POST", r);
  }

  @Test
  void redeem_missingIdempotencyKey_returns400InvalidRequest() {
    HttpResponse<String> r =
        fx.send(post(REDEEM, GatewayFixture.redeemBody(101, "u", "o", 1)).build());

    assertError(r, 400, "INVALID_REQUEST");
    assertThat(r.body()).contains("Idempotency-Key");
  }

  @Test
  void redeem_unknownCoupon_returns404CouponNotFound() {
    HttpResponse<String> r = fx.redeem("k-x", 999_999, "u-1", "SO-1", 1_000);

    assertError(r, 404, "COUPON_NOT_FOUND");
    assertDocumented(REDEEM, "POST", r);
  }

  @Test
  void redeem_beforeStart_returns409CouponNotActive() {
    Instant now = Instant.now();
    fx.createCoupon(coupon(104, now.plusSeconds(600), now.plusSeconds(3600), CouponStatus.ACTIVE));

    assertError(fx.redeem("k-104", 104, "u-1", "SO-1", 1_000), 409, "COUPON_NOT_ACTIVE");
  }

  @Test
  void redeem_afterEnd_returns409CouponNotActive() {
    Instant now = Instant.now();
    fx.createCoupon(coupon(105, now.minusSeconds(3600), now.minusSeconds(1), CouponStatus.ACTIVE));

    assertError(fx.redeem("k-105", 105, "u-1", "SO-1", 1_000), 409, "COUPON_NOT_ACTIVE");
  }

  @Test
  void redeem_paused_returns409CouponNotActiveAndTakesNoStock() {
    Instant now = Instant.now();
    fx.createCoupon(coupon(106, now.minusSeconds(60), now.plusSeconds(3600), CouponStatus.PAUSED));

    HttpResponse<String> r = fx.redeem("k-106", 106, "u-1", "SO-1", 1_000);

    assertError(r, 409, "COUPON_NOT_ACTIVE");
    assertThat(fx.get("/v1/coupons/106").body()).contains("\"remainingStock\":5", "\"PAUSED\"");
    assertDocumented(REDEEM, "POST", r);
  }

  @Test
  void redeem_soldOut_returns409SoldOutAndTakesNoStock() {
    fx.createCoupon(107, 1, 1, 0, 100);
    assertThat(fx.redeem("k-107a", 107, "u-1", "SO-1", 1_000).statusCode()).isEqualTo(201);

    HttpResponse<String> r = fx.redeem("k-107b", 107, "u-2", "SO-2", 1_000);

    assertError(r, 409, "SOLD_OUT");
    assertThat(fx.get("/v1/coupons/107").body()).contains("\"remainingStock\":0");
    assertDocumented(REDEEM, "POST", r);
  }

  @Test
  void redeem_userAtLimit_returns409UserLimitReached() {
    fx.createCoupon(108, 10, 2, 0, 100);
    fx.redeem("k-108a", 108, "u-1", "SO-1", 1_000);
    fx.redeem("k-108b", 108, "u-1", "SO-2", 1_000);

    HttpResponse<String> r = fx.redeem("k-108c", 108, "u-1", "SO-3", 1_000);

    assertError(r, 409, "USER_LIMIT_REACHED");
    assertThat(fx.get("/v1/coupons/108").body()).contains("\"remainingStock\":8");
  }

  @Test
  void redeem_orderHoldsOne_returns409OrderAlreadyRedeemed() {
    fx.createCoupon(109, 10, 5, 0, 100);
    fx.redeem("k-109a", 109, "u-1", "SO-1", 1_000);

    HttpResponse<String> r = fx.redeem("k-109b", 109, "u-2", "SO-1", 1_000);

    assertError(r, 409, "ORDER_ALREADY_REDEEMED");
  }

  @Test
  void redeem_belowThreshold_returns422OrderBelowThreshold() {
    fx.createCoupon(110, 10, 1, 30_000, 100);

    HttpResponse<String> r = fx.redeem("k-110", 110, "u-1", "SO-1", 29_999);

    assertError(r, 422, "ORDER_BELOW_THRESHOLD");
    assertDocumented(REDEEM, "POST", r);
  }

  @Test
  void redeem_keyReusedWithOtherParameters_returns422IdempotencyKeyReused() {
    fx.createCoupon(111, 10, 5, 0, 100);
    fx.redeem("k-111", 111, "u-1", "SO-1", 1_000);

    assertError(fx.redeem("k-111", 111, "u-1", "SO-1", 1_001), 422, "IDEMPOTENCY_KEY_REUSED");
    assertError(fx.redeem("k-111", 111, "u-2", "SO-1", 1_000), 422, "IDEMPOTENCY_KEY_REUSED");
    assertError(fx.redeem("k-111", 111, "u-1", "SO-2", 1_000), 422, "IDEMPOTENCY_KEY_REUSED");
  }

  @Test
  void redeem_rejectedThenRetried_isEvaluatedAnew() {
    fx.createCoupon(112, 10, 1, 30_000, 100);
    assertError(fx.redeem("k-112", 112, "u-1", "SO-1", 1_000), 422, "ORDER_BELOW_THRESHOLD");

    HttpResponse<String> r = fx.redeem("k-112", 112, "u-1", "SO-1", 30_000);

    assertThat(r.statusCode()).isEqualTo(201);
    assertThat(r.headers().firstValue("Idempotent-Replayed")).isEmpty();
  }

  @Test
  void redeem_bodyTooLarge_returns413PayloadTooLarge() {
    String big = "{\"pad\":\"" + "x".repeat(5_000) + "\"}";

    HttpResponse<String> r = fx.send(post(REDEEM, big).header("Idempotency-Key", "k").build());

    assertError(r, 413, "PAYLOAD_TOO_LARGE");
  }

  @Test
  void redeem_notJson_returns415UnsupportedMediaType() {
    HttpResponse<String> r =
        fx.send(
            HttpRequest.newBuilder(fx.api(REDEEM))
                .header("Content-Type", "text/plain")
                .header("Idempotency-Key", "k")
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        GatewayFixture.redeemBody(101, "u", "o", 1)))
                .build());

    assertError(r, 415, "UNSUPPORTED_MEDIA_TYPE");
    assertDocumented(REDEEM, "POST", r);
  }

  @Test
  void wrongMethod_returns405WithTheRoutesAllowHeader() {
    HttpResponse<String> redeem = fx.get(REDEEM);
    HttpResponse<String> coupon = fx.send(post("/v1/coupons/101", "{}").build());
    HttpResponse<String> redemption =
        fx.send(HttpRequest.newBuilder(fx.api("/v1/redemptions/1.a.1")).DELETE().build());
    HttpResponse<String> reversal = fx.get("/v1/redemptions/1.a.1/reversal");

    assertError(redeem, 405, "METHOD_NOT_ALLOWED");
    assertThat(redeem.headers().allValues("Allow")).containsExactly("POST");
    assertError(coupon, 405, "METHOD_NOT_ALLOWED");
    assertThat(coupon.headers().allValues("Allow")).containsExactly("GET, HEAD");
    assertError(redemption, 405, "METHOD_NOT_ALLOWED");
    assertThat(redemption.headers().allValues("Allow")).containsExactly("GET, HEAD");
    assertError(reversal, 405, "METHOD_NOT_ALLOWED");
    assertThat(reversal.headers().allValues("Allow")).containsExactly("POST");
  }

  @Test
  void unknownPath_returns404NotFound() {
    assertError(fx.get("/v1/nothing"), 404, "NOT_FOUND");
    assertError(fx.get("/v1/coupons/1/extra"), 404, "NOT_FOUND");
    assertError(fx.get("/v1/redemptions/1.a.1/reversal/x"), 404, "NOT_FOUND");
    assertError(fx.get("/"), 404, "NOT_FOUND");
  }

  @Test
  void reverse_accepted_returns200ReversedAndGivesEverythingBack() throws Exception {
    fx.createCoupon(113, 1, 1, 0, 100);
    fx.redeem("k-113a", 113, "u-1", "SO-1", 1_000);

    HttpResponse<String> r = fx.reverse("113.SO-1.1", "{\"reason\":\"order cancelled\"}");

    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("status").asText()).isEqualTo("REVERSED");
    assertThat(body.get("reversedAt").isNull()).isFalse();
    assertDocumented("/v1/redemptions/{redemptionId}/reversal", "POST", r);
    assertThat(fx.get("/v1/coupons/113").body()).contains("\"remainingStock\":1");
    HttpResponse<String> again = fx.redeem("k-113b", 113, "u-1", "SO-1", 1_000);
    assertThat(again.statusCode()).isEqualTo(201);
    assertThat(again.body()).contains("\"redemptionId\":\"113.SO-1.2\"");
    await(
        () ->
            fx.db()
                    .queryLong(
                        "SELECT COUNT(*) FROM redemption WHERE redemption_id = '113.SO-1.1'"
                            + " AND status = 'REVERSED'")
                == 1);
  }

  @Test
  void reverse_again_returnsTheSame200AndChangesNothing() {
    fx.createCoupon(114, 5, 1, 0, 100);
    fx.redeem("k-114", 114, "u-1", "SO-1", 1_000);
    HttpResponse<String> first = fx.reverse("114.SO-1.1", null);
    String before = fx.state(114);

    HttpResponse<String> again = fx.reverse("114.SO-1.1", null);

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(again.statusCode()).isEqualTo(200);
    assertThat(again.body()).isEqualTo(first.body());
    assertThat(fx.state(114)).isEqualTo(before);
  }

  @Test
  void reverse_unknown_returns404RedemptionNotFound() {
    fx.createCoupon(115, 5, 1, 0, 100);

    HttpResponse<String> known = fx.reverse("115.SO-9.1", null);
    HttpResponse<String> noCoupon = fx.reverse("888888.SO-9.1", null);
    HttpResponse<String> malformed = fx.reverse("not-an-id", null);

    assertError(known, 404, "REDEMPTION_NOT_FOUND");
    assertError(noCoupon, 404, "REDEMPTION_NOT_FOUND");
    assertError(malformed, 404, "REDEMPTION_NOT_FOUND");
    assertDocumented("/v1/redemptions/{redemptionId}/reversal", "POST", known);
  }

  @Test
  void getRedemption_returns200Or404() throws Exception {
    fx.createCoupon(116, 5, 1, 0, 100);
    HttpResponse<String> accepted = fx.redeem("k-116", 116, "u-1", "SO-1", 1_000);

    HttpResponse<String> found = fx.get("/v1/redemptions/116.SO-1.1");
    HttpResponse<String> missing = fx.get("/v1/redemptions/116.SO-2.1");

    assertThat(found.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(found.body())).isEqualTo(JSON.readTree(accepted.body()));
    assertError(missing, 404, "REDEMPTION_NOT_FOUND");
    assertDocumented("/v1/redemptions/{redemptionId}", "GET", found);
    assertDocumented("/v1/redemptions/{redemptionId}", "GET", missing);
  }

  @Test
  void getCoupon_returns200WithRemainingStockOr404() throws Exception {
    fx.createCoupon(117, 7, 1, 2_000, 300);

    HttpResponse<String> found = fx.get("/v1/coupons/117");
    HttpResponse<String> missing = fx.get("/v1/coupons/777777");
    HttpResponse<String> notAnId = fx.get("/v1/coupons/abc");

    assertThat(found.statusCode()).isEqualTo(200);
    JsonNode c = JSON.readTree(found.body());
    assertThat(c.get("couponId").asLong()).isEqualTo(117);
    assertThat(c.get("totalStock").asLong()).isEqualTo(7);
    assertThat(c.get("remainingStock").asLong()).isEqualTo(7);
    assertThat(c.get("perUserLimit").asInt()).isEqualTo(1);
    assertThat(c.get("thresholdCents").asLong()).isEqualTo(2_000);
    assertThat(c.get("discountCents").asLong()).isEqualTo(300);
    assertThat(c.get("status").asText()).isEqualTo("ACTIVE");
    assertError(missing, 404, "COUPON_NOT_FOUND");
    assertError(notAnId, 404, "COUPON_NOT_FOUND");
    assertDocumented("/v1/coupons/{couponId}", "GET", found);
    assertDocumented("/v1/coupons/{couponId}", "GET", missing);
  }

  private static Coupon coupon(long id, Instant starts, Instant ends, CouponStatus status) {
    return new Coupon(id, "coupon " + id, 5, 1, 0, 100, starts, ends, status, false, 1, 1);
  }

  private static HttpRequest.Builder post(String path, String json) {
    return HttpRequest.newBuilder(fx.api(path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json));
  }

  static void assertError(HttpResponse<String> r, int status, String code) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
    try {
      JsonNode body = JSON.readTree(r.body());
      assertThat(body.at("/error/code").asText()).isEqualTo(code);
      assertThat(body.at("/error/message").asText()).isNotBlank();
    } catch (Exception e) {
      throw new AssertionError("not JSON: " + r.body(), e);
    }
  }

  private static void assertDocumented(String template, String method, HttpResponse<String> r) {
    String code = null;
    if (r.statusCode() >= 400) {
      try {
        code = JSON.readTree(r.body()).at("/error/code").asText();
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    assertThat(DOC.documents(template, method, r.statusCode(), code))
        .as("%s %s -> %s %s is in openapi.yaml", method, template, r.statusCode(), code)
        .isTrue();
  }

  private static void await(java.util.function.BooleanSupplier condition) {
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(condition::getAsBoolean);
  }
}
