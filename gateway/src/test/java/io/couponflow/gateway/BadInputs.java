package io.couponflow.gateway;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.provider.Arguments;

/**
 * The bad-input table: hostile and careless requests, each with the exact status and error code the
 * API answers it with, changing nothing. {@code BadInputIT} sends them to a whole gateway; {@code
 * BadInputTableTest} to the HTTP pipeline on an {@code EmbeddedChannel}. The reversal cases name
 * redemption {@code 1.SO-seed.1}.
 */
public final class BadInputs {
  public static final String KEY = "Idempotency-Key: bad-1";
  public static final String CT = "Content-Type: application/json";
  public static final String VALID = GatewayFixture.redeemBody(1, "u-1", "SO-1", 1_000);

  private BadInputs() {}

  private static Arguments redeem(String name, String body, int status, String code) {
    return redeemBytes(name, body.getBytes(StandardCharsets.UTF_8), status, code);
  }

  private static Arguments redeemBytes(String name, byte[] body, int status, String code) {
    return Arguments.of(
        name, RawHttp.request("POST", "/v1/redemptions", List.of(KEY, CT), body), status, code);
  }

  private static Arguments raw(String name, String request, int status, String code) {
    return Arguments.of(name, request.getBytes(StandardCharsets.ISO_8859_1), status, code);
  }

  private static Arguments headers(String name, List<String> headers, int status, String code) {
    return Arguments.of(
        name,
        RawHttp.request("POST", "/v1/redemptions", headers, VALID.getBytes(StandardCharsets.UTF_8)),
        status,
        code);
  }

  /** Each case: a name, the request bytes, the status and the error code it must get. */
  public static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    // malformed and truncated JSON
    cases.add(redeem("malformed JSON", "{\"couponId\": 1,,}", 400, "INVALID_REQUEST"));
    cases.add(
        redeem("truncated JSON", VALID.substring(0, VALID.length() - 5), 400, "INVALID_REQUEST"));
    cases.add(redeem("empty body", "", 400, "INVALID_REQUEST"));
    cases.add(redeem("a JSON array", "[1,2,3]", 400, "INVALID_REQUEST"));
    cases.add(redeem("a bare string", "\"hello\"", 400, "INVALID_REQUEST"));
    cases.add(redeem("content after the object", VALID + "{}", 400, "INVALID_REQUEST"));
    cases.add(redeem("single quotes", VALID.replace('"', '\''), 400, "INVALID_REQUEST"));
    cases.add(redeem("a comment", "/* x */" + VALID, 400, "INVALID_REQUEST"));
    // deep nesting and huge numbers
    cases.add(
        redeem(
            "deep nesting",
            "{\"couponId\":" + "[".repeat(200) + "]".repeat(200) + "}",
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeem(
            "huge integer",
            VALID.replace("\"couponId\":1", "\"couponId\":123456789012345678901234567890"),
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeem(
            "couponId over 2^63-1",
            VALID.replace("\"couponId\":1", "\"couponId\":9223372036854775808"),
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeem(
            "huge exponent",
            VALID.replace("\"couponId\":1", "\"couponId\":1e400"),
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeem(
            "amount over 10^12", VALID.replace("1000}", "1000000000001}"), 400, "INVALID_REQUEST"));
    cases.add(redeem("negative amount", VALID.replace("1000}", "-1}"), 400, "INVALID_REQUEST"));
    cases.add(
        redeem(
            "couponId zero",
            VALID.replace("\"couponId\":1", "\"couponId\":0"),
            400,
            "INVALID_REQUEST"));
    cases.add(redeem("NaN", VALID.replace("1000}", "NaN}"), 400, "INVALID_REQUEST"));
    cases.add(redeem("leading zero", VALID.replace("1000}", "01000}"), 400, "INVALID_REQUEST"));
    // duplicate, unknown, null and mistyped fields
    cases.add(
        redeem("duplicate field", VALID.replace("{", "{\"couponId\":1,"), 400, "INVALID_REQUEST"));
    cases.add(
        redeem("unknown field", VALID.replace("{", "{\"admin\":true,"), 400, "INVALID_REQUEST"));
    cases.add(redeem("null field", VALID.replace("\"u-1\"", "null"), 400, "INVALID_REQUEST"));
    cases.add(
        redeem(
            "missing field",
            "{\"couponId\":1,\"userId\":\"u-1\",\"orderId\":\"SO-1\"}",
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeem(
            "couponId as string",
            VALID.replace("\"couponId\":1", "\"couponId\":\"1\""),
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeem(
            "couponId as float",
            VALID.replace("\"couponId\":1", "\"couponId\":1.0"),
            400,
            "INVALID_REQUEST"));
    cases.add(redeem("userId as number", VALID.replace("\"u-1\"", "42"), 400, "INVALID_REQUEST"));
    cases.add(
        redeem("userId as object", VALID.replace("\"u-1\"", "{\"id\":1}"), 400, "INVALID_REQUEST"));
    cases.add(redeem("amount as boolean", VALID.replace("1000}", "true}"), 400, "INVALID_REQUEST"));
    // illegal characters
    cases.add(
        redeem(
            "control character in userId",
            VALID.replace("u-1", "u\\u0001"),
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeem(
            "raw control character in userId",
            VALID.replace("u-1", "u\u0007x"),
            400,
            "INVALID_REQUEST"));
    cases.add(redeem("braces in userId", VALID.replace("u-1", "{u}"), 400, "INVALID_REQUEST"));
    cases.add(
        redeem(
            "CRLF in orderId",
            VALID.replace("SO-1", "SO\\r\\nX-Injected: 1"),
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeem("hash tag in orderId", VALID.replace("SO-1", "SO}{2"), 400, "INVALID_REQUEST"));
    cases.add(redeem("dot in userId", VALID.replace("u-1", "u.1"), 400, "INVALID_REQUEST"));
    cases.add(redeem("non-ASCII userId", VALID.replace("u-1", "ü-1"), 400, "INVALID_REQUEST"));
    cases.add(redeem("empty orderId", VALID.replace("SO-1", ""), 400, "INVALID_REQUEST"));
    cases.add(
        redeem(
            "65-character userId", VALID.replace("u-1", "u".repeat(65)), 400, "INVALID_REQUEST"));
    cases.add(
        redeemBytes(
            "invalid UTF-8",
            (VALID.substring(0, 30) + "\u00ff").getBytes(StandardCharsets.ISO_8859_1),
            400,
            "INVALID_REQUEST"));
    cases.add(
        redeemBytes(
            "UTF-16 body", VALID.getBytes(StandardCharsets.UTF_16), 400, "INVALID_REQUEST"));
    // content type
    cases.add(
        headers(
            "text/plain", List.of(KEY, "Content-Type: text/plain"), 415, "UNSUPPORTED_MEDIA_TYPE"));
    cases.add(headers("no content type", List.of(KEY), 415, "UNSUPPORTED_MEDIA_TYPE"));
    cases.add(
        headers(
            "latin-1 charset",
            List.of(KEY, "Content-Type: application/json; charset=iso-8859-1"),
            415,
            "UNSUPPORTED_MEDIA_TYPE"));
    cases.add(headers("two content types", List.of(KEY, CT, CT), 415, "UNSUPPORTED_MEDIA_TYPE"));
    cases.add(
        headers(
            "form content type",
            List.of(KEY, "Content-Type: application/x-www-form-urlencoded"),
            415,
            "UNSUPPORTED_MEDIA_TYPE"));
    // Idempotency-Key
    cases.add(headers("missing Idempotency-Key", List.of(CT), 400, "INVALID_REQUEST"));
    cases.add(
        headers("empty Idempotency-Key", List.of(CT, "Idempotency-Key: "), 400, "INVALID_REQUEST"));
    cases.add(
        headers(
            "129-character Idempotency-Key",
            List.of(CT, "Idempotency-Key: " + "k".repeat(129)),
            400,
            "INVALID_REQUEST"));
    cases.add(
        headers(
            "braces in Idempotency-Key",
            List.of(CT, "Idempotency-Key: {k}"),
            400,
            "INVALID_REQUEST"));
    cases.add(
        headers(
            "space in Idempotency-Key",
            List.of(CT, "Idempotency-Key: a b"),
            400,
            "INVALID_REQUEST"));
    cases.add(
        headers(
            "control character in Idempotency-Key",
            List.of(CT, "Idempotency-Key: a\u0001b"),
            400,
            "INVALID_REQUEST"));
    cases.add(
        headers(
            "two Idempotency-Keys",
            List.of(CT, KEY, "Idempotency-Key: bad-2"),
            400,
            "INVALID_REQUEST"));
    // oversized body, headers and request line
    cases.add(
        redeem(
            "oversized body", "{\"pad\":\"" + "x".repeat(5_000) + "\"}", 413, "PAYLOAD_TOO_LARGE"));
    // found by HttpFuzzTest: Netty's own empty 413 answered this one
    cases.add(
        raw(
            "oversized body announced with Expect: 100-continue",
            "POST /v1/redemptions HTTP/1.1\r\nHost: t\r\n"
                + KEY
                + "\r\n"
                + CT
                + "\r\nExpect: 100-continue\r\nContent-Length: 99999\r\n\r\n",
            413,
            "PAYLOAD_TOO_LARGE"));
    cases.add(
        raw(
            "oversized request line",
            "GET /v1/coupons/" + "1".repeat(3_000) + " HTTP/1.1\r\nHost: t\r\n\r\n",
            414,
            "URI_TOO_LONG"));
    cases.add(
        raw(
            "oversized headers",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\nX-Big: " + "x".repeat(9_000) + "\r\n\r\n",
            431,
            "HEADERS_TOO_LARGE"));
    // malformed HTTP, CRLF and control characters on the wire
    cases.add(
        raw(
            "header line without a colon",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\nno colon here\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "bad Content-Length",
            "POST /v1/redemptions HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "Content-Length and chunked",
            "POST /v1/redemptions HTTP/1.1\r\nHost: t\r\n"
                + KEY
                + "\r\n"
                + CT
                + "\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "HTTP/1.1 without Host",
            "POST /v1/redemptions HTTP/1.1\r\n"
                + KEY
                + "\r\n"
                + CT
                + "\r\nContent-Length: "
                + VALID.length()
                + "\r\n\r\n"
                + VALID,
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "two Host headers",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "HTTP/1.0 with two Host headers",
            "GET /v1/coupons/1 HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "Host with a path",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: a/b\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "Host with a space",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: a b\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    // found by HttpFuzzTest: Netty's own empty 417 answered these
    cases.add(
        headers(
            "unsupported Expect", List.of(KEY, CT, "Expect: something"), 400, "INVALID_REQUEST"));
    cases.add(
        raw(
            "unsupported Expect on a GET",
            "GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\nExpect: 100-continue, x\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "unknown HTTP version",
            "GET /v1/coupons/1 HTTP/7.0\r\nHost: t\r\n\r\n",
            400,
            "INVALID_REQUEST"));
    cases.add(
        raw(
            "control character in the path",
            "GET /v1/coupons/1\u0001 HTTP/1.1\r\nHost: t\r\n\r\n",
            404,
            "COUPON_NOT_FOUND"));
    cases.add(
        raw(
            "braces in the path",
            "GET /v1/coupons/{1} HTTP/1.1\r\nHost: t\r\n\r\n",
            404,
            "COUPON_NOT_FOUND"));
    cases.add(
        raw(
            "encoded CRLF in the path",
            "GET /v1/redemptions/1.a%0D%0AX:y.1 HTTP/1.1\r\nHost: t\r\n\r\n",
            404,
            "REDEMPTION_NOT_FOUND"));
    // unknown path and wrong method
    cases.add(raw("unknown path", "GET /admin HTTP/1.1\r\nHost: t\r\n\r\n", 404, "NOT_FOUND"));
    cases.add(
        raw(
            "path traversal",
            "GET /v1/coupons/../redemptions HTTP/1.1\r\nHost: t\r\n\r\n",
            404,
            "NOT_FOUND"));
    cases.add(
        raw(
            "wrong method",
            "PUT /v1/redemptions HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
            405,
            "METHOD_NOT_ALLOWED"));
    cases.add(
        raw(
            "made-up method",
            "BREW /v1/coupons/1 HTTP/1.1\r\nHost: t\r\n\r\n",
            405,
            "METHOD_NOT_ALLOWED"));
    // reversal bodies
    cases.add(
        Arguments.of(
            "reversal with unknown field",
            RawHttp.request(
                "POST",
                "/v1/redemptions/1.SO-seed.1/reversal",
                List.of(CT),
                "{\"why\":\"x\"}".getBytes(StandardCharsets.UTF_8)),
            400,
            "INVALID_REQUEST"));
    cases.add(
        Arguments.of(
            "reversal reason too long",
            RawHttp.request(
                "POST",
                "/v1/redemptions/1.SO-seed.1/reversal",
                List.of(CT),
                ("{\"reason\":\"" + "r".repeat(257) + "\"}").getBytes(StandardCharsets.UTF_8)),
            400,
            "INVALID_REQUEST"));
    cases.add(
        Arguments.of(
            "reversal reason not a string",
            RawHttp.request(
                "POST",
                "/v1/redemptions/1.SO-seed.1/reversal",
                List.of(CT),
                "{\"reason\":7}".getBytes(StandardCharsets.UTF_8)),
            400,
            "INVALID_REQUEST"));
    cases.add(
        Arguments.of(
            "reversal reason with a NUL",
            RawHttp.request(
                "POST",
                "/v1/redemptions/1.SO-seed.1/reversal",
                List.of(CT),
                "{\"reason\":\"a\\u0000b\"}".getBytes(StandardCharsets.UTF_8)),
            400,
            "INVALID_REQUEST"));
    cases.add(
        Arguments.of(
            "reversal reason with a lone surrogate",
            RawHttp.request(
                "POST",
                "/v1/redemptions/1.SO-seed.1/reversal",
                List.of(CT),
                "{\"reason\":\"a\\ud800b\"}".getBytes(StandardCharsets.UTF_8)),
            400,
            "INVALID_REQUEST"));
    cases.add(
        Arguments.of(
            "reversal body as text/plain",
            RawHttp.request(
                "POST",
                "/v1/redemptions/1.SO-seed.1/reversal",
                List.of("Content-Type: text/plain"),
                "{\"reason\":\"x\"}".getBytes(StandardCharsets.UTF_8)),
            415,
            "UNSUPPORTED_MEDIA_TYPE"));
    return cases.stream();
  }
}
