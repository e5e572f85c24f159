package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.couponflow.gateway.http.ApiError;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Whatever arrives, the answer is well-formed HTTP with a JSON body: a 2xx carrying a redemption or
 * a coupon, or a 4xx carrying an error code of the API. Arbitrary bodies, header sets, methods and
 * paths go through the real pipeline to real Redis and MariaDB.
 */
class ApiPropertiesIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> CODES =
      Arrays.stream(ApiError.values()).map(Enum::name).collect(Collectors.toSet());
  private static GatewayFixture fx;

  @BeforeContainer
  static void start() {
    fx =
        GatewayFixture.start(ApiPropertiesIT.class, Map.of("COUPON_HTTP_REQUEST_TIMEOUT", "300ms"));
    fx.createCoupon(1, 1_000_000, 1_000, 0, 100);
    fx.createCoupon(2, 0, 1, 0, 100);
  }

  @AfterContainer
  static void stop() {
    fx.close();
  }

  @Property(tries = 250)
  void anyRedeemBody_isAnsweredWellFormed2xxOr4xx(
      @ForAll("bodies") String body, @ForAll("keys") String key) throws Exception {
    byte[] request =
        RawHttp.request(
            "POST",
            "/v1/redemptions",
            List.of("Content-Type: application/json", "Idempotency-Key: " + key),
            body.getBytes(StandardCharsets.UTF_8));

    assertWellFormed(RawHttp.exchange(fx.port(), request));
  }

  @Property(tries = 250)
  void anyHeadersMethodAndPath_areAnsweredWellFormed2xxOr4xx(
      @ForAll("methods") String method,
      @ForAll("paths") String path,
      @ForAll("headerLists") List<String> headers,
      @ForAll("bodies") String body)
      throws Exception {
    byte[] request = RawHttp.request(method, path, headers, body.getBytes(StandardCharsets.UTF_8));

    assertWellFormed(RawHttp.exchange(fx.port(), request));
  }

  private static void assertWellFormed(RawHttp.Response r) throws Exception {
    assertThat(r.status()).as(r.body()).isBetween(200, 499);
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    assertThat(Integer.parseInt(r.header("Content-Length")))
        .isEqualTo(r.body().getBytes(StandardCharsets.UTF_8).length);
    JsonNode body = JSON.readTree(r.body());
    if (r.status() >= 400) {
      assertThat(body.size()).isEqualTo(1);
      assertThat(CODES).contains(body.at("/error/code").asText());
      assertThat(body.at("/error/message").isTextual()).isTrue();
    } else {
      assertThat(body.has("redemptionId") || body.has("remainingStock")).isTrue();
    }
  }

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<String> text = Arbitraries.strings().ofMaxLength(200);
    Arbitrary<String> ascii = Arbitraries.strings().ascii().ofMaxLength(200);
    Arbitrary<String> json =
        Combinators.combine(
                jsonValues(), jsonValues(), jsonValues(), jsonValues(), Arbitraries.of(true, false))
            .as(
                (c, u, o, a, extra) ->
                    "{\"couponId\":"
                        + c
                        + ",\"userId\":"
                        + u
                        + ",\"orderId\":"
                        + o
                        + ",\"orderAmountCents\":"
                        + a
                        + (extra ? ",\"x\":1" : "")
                        + "}");
    Arbitrary<String> valid =
        Combinators.combine(
                Arbitraries.of(1L, 2L, 3L, 999L),
                Arbitraries.strings().withChars("abcXYZ019_-").ofMinLength(1).ofMaxLength(64),
                Arbitraries.strings().withChars("abcXYZ019_-").ofMinLength(1).ofMaxLength(64),
                Arbitraries.longs().between(0, 1_000_000_000_000L))
            .as(GatewayFixture::redeemBody);
    return Arbitraries.oneOf(text, ascii, json, valid);
  }

  private static Arbitrary<String> jsonValues() {
    return Arbitraries.oneOf(
        Arbitraries.longs().map(Object::toString),
        Arbitraries.doubles().map(Object::toString),
        Arbitraries.strings().ofMaxLength(70).map(s -> JSON.valueToTree(s).toString()),
        Arbitraries.of(
            "null", "true", "[]", "{}", "\"1\"", "1e999", "-0", "[[[[[[[[[[1]]]]]]]]]]"));
  }

  @Provide
  Arbitrary<String> keys() {
    return Arbitraries.oneOf(
        Arbitraries.strings().withChars("abcXYZ019._:-").ofMinLength(1).ofMaxLength(128),
        Arbitraries.strings()
            .ascii()
            .ofMaxLength(140)
            .map(s -> s.replace("\r", "").replace("\n", "")));
  }

  @Provide
  Arbitrary<String> methods() {
    return Arbitraries.oneOf(
        Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"),
        Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(10));
  }

  @Provide
  Arbitrary<String> paths() {
    Arbitrary<String> segment =
        Arbitraries.strings().withChars("abc019.-_%{}~:@!$&'()*+,;=").ofMaxLength(20);
    return Arbitraries.oneOf(
        Arbitraries.of(
            "/v1/redemptions",
            "/v1/coupons/1",
            "/v1/coupons/2",
            "/v1/redemptions/1.a.1",
            "/v1/redemptions/1.a.1/reversal",
            "/",
            "*"),
        segment.map(s -> "/v1/coupons/" + s),
        segment.map(s -> "/v1/redemptions/" + s),
        segment.map(s -> "/v1/redemptions/" + s + "/reversal"),
        segment.list().ofMaxSize(5).map(l -> "/" + String.join("/", l)));
  }

  @Provide
  Arbitrary<List<String>> headerLists() {
    Arbitrary<String> name =
        Arbitraries.oneOf(
            Arbitraries.of(
                "Content-Type",
                "Idempotency-Key",
                "Accept",
                "Connection",
                "Content-Length",
                "Transfer-Encoding",
                "X-Forwarded-For"),
            Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(20));
    Arbitrary<String> value =
        Arbitraries.oneOf(
            Arbitraries.of(
                "application/json",
                "application/json; charset=utf-8",
                "text/plain",
                "close",
                "keep-alive",
                "chunked",
                "5",
                "-1",
                "k-1"),
            Arbitraries.strings().ofMaxLength(100),
            Arbitraries.strings().ascii().ofMaxLength(100));
    return Combinators.combine(name, value)
        .as((n, v) -> n + ": " + v)
        .list()
        .ofMaxSize(6)
        .map(ArrayList::new);
  }
}
