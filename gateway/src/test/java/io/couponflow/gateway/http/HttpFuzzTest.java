package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.ReverseOutcome;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Histogram;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Fuzzing the API's HTTP path (decoder, aggregator, sequencer, router, encoder on an {@code
 * EmbeddedChannel}): one to three requests, each a valid template mutated at the byte level or put
 * together from a grammar's parts, written in one or two chunks, then the request deadline let
 * pass. Whatever arrives:
 *
 * <ul>
 *   <li>no answer is a 5xx;
 *   <li>every final answer is JSON with a matching Content-Length, and every error is exactly the
 *       contract's shape, {@code {"error":{"code":C,"message":M}}}, with C an API error code whose
 *       status is the answer's;
 *   <li>nothing changes on a 4xx: the service (which accepts everything it is asked) is called
 *       exactly once per 2xx answer, never for a refused request.
 * </ul>
 *
 * <p>Tries: {@code jqwik.tries.default} (junit-platform.properties; {@code -Djqwik.tries.default=N}
 * for a longer run).
 */
class HttpFuzzTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> CODES =
      Arrays.stream(ApiError.values()).map(Enum::name).collect(Collectors.toSet());
  private static final String REDEEM_BODY =
      "{\"couponId\":42,\"userId\":\"u-1\",\"orderId\":\"SO-1\",\"orderAmountCents\":35000}";
  private static final String REASON = "{\"reason\":\"order cancelled\"}";
  private static final List<String> TEMPLATES =
      List.of(
          "POST /v1/redemptions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
              + "Idempotency-Key: k-1\r\nContent-Length: "
              + REDEEM_BODY.length()
              + "\r\n\r\n"
              + REDEEM_BODY,
          "POST /v1/redemptions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
              + "Idempotency-Key: k-2\r\nTransfer-Encoding: chunked\r\n\r\n"
              + Integer.toHexString(REDEEM_BODY.length())
              + "\r\n"
              + REDEEM_BODY
              + "\r\n0\r\n\r\n",
          "POST /v1/redemptions/42.SO-1.1/reversal HTTP/1.1\r\nHost: t\r\n"
              + "Content-Type: application/json; charset=utf-8\r\nContent-Length: "
              + REASON.length()
              + "\r\n\r\n"
              + REASON,
          "POST /v1/redemptions/42.SO-1.1/reversal HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
          "GET /v1/redemptions/42.SO-1.1 HTTP/1.1\r\nHost: t\r\n\r\n",
          "GET /v1/coupons/42?fields=all HTTP/1.1\r\nHost: t\r\nAccept: */*\r\n\r\n",
          "GET http://t:8080/v1/coupons/42 HTTP/1.1\r\nHost: t:8080\r\n\r\n",
          "GET /v1/coupons/42 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  private static final List<String> TOKENS =
      List.of(
          "\r\n",
          "\n",
          "\r",
          ": ",
          " ",
          "\t",
          "\u0000",
          "\r\n\r\n",
          "0\r\n\r\n",
          "Transfer-Encoding: chunked\r\n",
          "Transfer-Encoding: gzip\r\n",
          "Transfer-Encoding: chunked, gzip\r\n",
          "Content-Length: 0\r\n",
          "Content-Length: 99999\r\n",
          "Content-Length: -1\r\n",
          "Content-Length: 5\r\n",
          "Expect: 100-continue\r\n",
          "Expect: something\r\n",
          "Connection: close\r\n",
          "Connection: upgrade\r\nUpgrade: h2c\r\n",
          "Host: x\r\n",
          "Host:\r\n",
          "Idempotency-Key: k-9\r\n",
          "Content-Type: text/plain\r\n",
          "Content-Type: application/json\r\n",
          " HTTP/1.1",
          "HTTP/1.0",
          "HTTP/2.0",
          "http://h",
          "%00",
          "%2F",
          "/../",
          "?",
          "#",
          "{",
          "\"",
          "GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\n\r\n",
          "x".repeat(3000));

  private static FakeRedemptions acceptingEverything(FakeRedemptions service) {
    service.redeem =
        r ->
            CompletableFuture.completedFuture(
                new RedeemOutcome.Accepted(
                    FakeRedemptions.redemption(r.couponId(), r.orderId()), "1-0"));
    service.reverse =
        id ->
            CompletableFuture.completedFuture(
                new ReverseOutcome.Reversed(
                    FakeRedemptions.reversed(
                        FakeRedemptions.redemption(id.couponId(), id.orderId())),
                    false,
                    "2-0"));
    service.get =
        id ->
            CompletableFuture.completedFuture(
                new RedemptionLookup.Found(
                    FakeRedemptions.redemption(id.couponId(), id.orderId())));
    service.coupon =
        id -> CompletableFuture.completedFuture(Optional.of(FakeRedemptions.coupon(id, 7)));
    return service;
  }

  /** What a try sends: the bytes, and where they are split into two writes. */
  record Input(byte[] bytes, double split) {
    @Override
    public String toString() {
      return "Input[split=" + split + ", bytes=\"" + printable(bytes) + "\"]";
    }
  }

  @Property
  @StatisticsReport(format = Histogram.class)
  void anyBytes_areAnsweredWithin4xxInTheContractsShape_andA4xxChangesNothing(
      @ForAll("inputs") Input input) throws Exception {
    try (ApiChannel api = new ApiChannel(Map.of("COUPON_HTTP_REQUEST_TIMEOUT", "500ms"), 100)) {
      acceptingEverything(api.service);
      api.channel.freezeTime();
      int split = (int) (input.split() * input.bytes().length);
      api.send(Arrays.copyOfRange(input.bytes(), 0, split));
      if (api.isOpen()) {
        api.send(Arrays.copyOfRange(input.bytes(), split, input.bytes().length));
      }
      api.channel.advanceTimeBy(600, TimeUnit.MILLISECONDS);
      api.channel.runScheduledPendingTasks();

      int successes = 0;
      for (ApiChannel.Response r : api.readAll()) {
        Statistics.collect(r.status() / 100 + "xx");
        if (assertInContract(r.status(), r.headers(), r.body(), r.raw())) {
          successes++;
        }
      }
      assertThat(api.service.calls).as("one call per 2xx answer").hasSize(successes);
      assertThat(api.inFlight.current()).isZero();
    }
  }

  /**
   * Request smuggling: requests whose framing the client states without ambiguity (no body, an
   * exact Content-Length, a whole chunked body, or a Transfer-Encoding that does not end in
   * chunked, which makes the rest of the connection the body) are never read as more requests than
   * were sent.
   */
  @Property
  @StatisticsReport(format = Histogram.class)
  void framedRequests_areNeverAnsweredMoreOftenThanTheyWereSent(
      @ForAll("framedPipelines") List<byte[]> requests) {
    try (ApiChannel api = new ApiChannel(Map.of("COUPON_HTTP_REQUEST_TIMEOUT", "500ms"), 100)) {
      acceptingEverything(api.service);
      api.channel.freezeTime();
      api.send(Mutations.concat(requests.toArray(byte[][]::new)));
      api.channel.advanceTimeBy(600, TimeUnit.MILLISECONDS);
      api.channel.runScheduledPendingTasks();

      List<ApiChannel.Response> answers =
          api.readAll().stream().filter(r -> r.status() >= 200).toList();
      Statistics.collect(answers.size() + " of " + requests.size());
      assertThat(answers.size())
          .as(answers.stream().map(ApiChannel.Response::statusLine).toList().toString())
          .isLessThanOrEqualTo(requests.size());
      assertThat(api.service.calls.size()).isLessThanOrEqualTo(requests.size());
    }
  }

  @Provide
  Arbitrary<List<byte[]>> framedPipelines() {
    Arbitrary<String> head =
        Arbitraries.of(
            "POST /v1/redemptions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
                + "Idempotency-Key: k-1\r\n",
            "POST /v1/redemptions/42.SO-1.1/reversal HTTP/1.1\r\nHost: t\r\n"
                + "Content-Type: application/json\r\n",
            "GET /v1/coupons/42 HTTP/1.1\r\nHost: t\r\n",
            "PUT /v1/coupons/42 HTTP/1.1\r\nHost: t\r\n");
    Arbitrary<String> body = Arbitraries.of(REDEEM_BODY, REASON, "{}", "x");
    Arbitrary<String> coding =
        Arbitraries.of("gzip", "identity", "chunked, gzip", "gzip, chunked", "chunked", "x");
    Arbitrary<String> framing = Arbitraries.of("none", "length", "chunked", "coding");
    Arbitrary<byte[]> request =
        Combinators.combine(head, framing, body, coding)
            .as(
                (h, f, b, c) -> {
                  String chunked = Integer.toHexString(b.length()) + "\r\n" + b + "\r\n0\r\n\r\n";
                  String text =
                      switch (f) {
                        case "none" -> h + "\r\n";
                        case "length" -> h + "Content-Length: " + b.length() + "\r\n\r\n" + b;
                        case "chunked" -> h + "Transfer-Encoding: chunked\r\n\r\n" + chunked;
                        default ->
                            h
                                + "Transfer-Encoding: "
                                + c
                                + "\r\n\r\n"
                                + (c.endsWith("chunked") ? chunked : b);
                      };
                  return text.getBytes(StandardCharsets.ISO_8859_1);
                });
    return request.list().ofMinSize(1).ofMaxSize(3);
  }

  /**
   * Checks one answer against the contract: never a 5xx; a final answer is JSON with a matching
   * Content-Length; an error is exactly {@code {"error":{"code":C,"message":M}}} with C an API
   * error code whose status it has; a success shows a redemption or a coupon. Returns whether it is
   * a 2xx.
   *
   * @param headers by lower-case name
   */
  static boolean assertInContract(int status, Map<String, String> headers, String body, String raw)
      throws Exception {
    assertThat(status).as(raw).isBetween(100, 499);
    if (status < 200) {
      return false;
    }
    assertThat(headers.get("content-type")).as(raw).isEqualTo("application/json");
    assertThat(Integer.parseInt(headers.get("content-length")))
        .as(raw)
        .isEqualTo(body.getBytes(StandardCharsets.UTF_8).length);
    assertThat(headers.get("connection")).as(raw).isIn("keep-alive", "close");
    JsonNode json = JSON.readTree(body);
    if (status >= 400) {
      assertThat(fields(json)).as(raw).containsExactly("error");
      assertThat(fields(json.get("error"))).as(raw).containsExactly("code", "message");
      String code = json.at("/error/code").asText();
      assertThat(CODES).as(raw).contains(code);
      assertThat(ApiError.valueOf(code).status().code()).as(raw).isEqualTo(status);
      assertThat(json.at("/error/message").isTextual()).as(raw).isTrue();
      return false;
    }
    assertThat(json.has("redemptionId") || json.has("remainingStock")).as(raw).isTrue();
    return true;
  }

  private static List<String> fields(JsonNode node) {
    List<String> names = new java.util.ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Provide
  Arbitrary<Input> inputs() {
    return anyInputs();
  }

  /** One to three requests, mutated templates or built from the grammar, and a split point. */
  static Arbitrary<Input> anyInputs() {
    Arbitrary<byte[]> mutated =
        Combinators.combine(Arbitraries.of(TEMPLATES), Mutations.edits(4, TOKENS))
            .as(
                (template, edits) ->
                    Mutations.apply(template.getBytes(StandardCharsets.ISO_8859_1), edits));
    Arbitrary<byte[]> request = Arbitraries.frequencyOf(Tuple.of(3, mutated), Tuple.of(2, built()));
    return Combinators.combine(
            request.list().ofMinSize(1).ofMaxSize(3), Arbitraries.doubles().between(0, 1))
        .as(
            (requests, split) ->
                new Input(Mutations.concat(requests.toArray(byte[][]::new)), split));
  }

  /**
   * Requests put together from a grammar's parts: a method, a target and a version, any set of
   * header lines from a dictionary of values parsers treat specially, and a body.
   */
  private static Arbitrary<byte[]> built() {
    Arbitrary<String> method =
        Arbitraries.of("GET", "POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH", "CONNECT");
    Arbitrary<String> target =
        Arbitraries.of(
            "/v1/redemptions",
            "/v1/redemptions/42.SO-1.1",
            "/v1/redemptions/42.SO-1.1/reversal",
            "/v1/coupons/42",
            "/v1/coupons/42?x=1",
            "http://t/v1/redemptions",
            "https://t:8443/v1/coupons/42",
            "HTTP://t",
            "*",
            "t:443",
            "/",
            "//v1/coupons/42",
            "/v1/coupons/%34%32");
    Arbitrary<String> version =
        Arbitraries.of("HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.2");
    Arbitrary<String> header =
        Arbitraries.of(
            "Host: t",
            "Host: t",
            "Host:",
            "Host: a b",
            "Content-Type: application/json",
            "Content-Type: application/json; charset=utf-8",
            "Content-Type: application/json;charset=latin1",
            "Content-Type: text/plain",
            "Content-Length: 0",
            "Content-Length: 72",
            "Content-Length: 99999",
            "Content-Length: -1",
            "Content-Length: abc",
            "Transfer-Encoding: chunked",
            "Transfer-Encoding: gzip",
            "Transfer-Encoding: gzip, chunked",
            "Transfer-Encoding: identity",
            "Expect: 100-continue",
            "Expect: something",
            "Connection: close",
            "Connection: keep-alive",
            "Connection: upgrade",
            "Upgrade: h2c",
            "Upgrade: websocket",
            "Idempotency-Key: k-1",
            "Idempotency-Key: k-2",
            "Idempotency-Key:",
            "Trailer: X-T",
            "Accept-Encoding: gzip",
            "X-Forwarded-For: 1.2.3.4");
    Arbitrary<String> body =
        Arbitraries.of(
            "",
            REDEEM_BODY,
            REASON,
            Integer.toHexString(REDEEM_BODY.length()) + "\r\n" + REDEEM_BODY + "\r\n0\r\n\r\n",
            "0\r\n\r\n",
            "{}");
    return Combinators.combine(method, target, version, header.list().ofMaxSize(6), body)
        .as(
            (m, t, v, headers, b) ->
                (m
                        + " "
                        + t
                        + " "
                        + v
                        + "\r\n"
                        + String.join("", headers.stream().map(h -> h + "\r\n").toList())
                        + "\r\n"
                        + b)
                    .getBytes(StandardCharsets.ISO_8859_1));
  }

  private static String printable(byte[] bytes) {
    StringBuilder b = new StringBuilder();
    for (byte x : bytes) {
      int c = x & 0xff;
      if (c == '\r') {
        b.append("\\r");
      } else if (c == '\n') {
        b.append("\\n");
      } else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        b.append((char) c);
      } else {
        b.append(String.format("\\x%02x", c));
      }
    }
    return b.toString();
  }
}
