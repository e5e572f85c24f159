package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.couponflow.lua.RedeemRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Histogram;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Fuzzing the API's JSON body parser ({@link ApiJson}) with random bytes, random JSON and mutated
 * valid bodies. Whatever the bytes, it either returns a value within the contract or refuses with
 * INVALID_REQUEST; it never throws anything else. An accepted body is checked against an
 * independent reading of the same bytes (Jackson's tree model with duplicate detection): exactly
 * the fields the contract names, with the values returned.
 *
 * <p>Tries: {@code jqwik.tries.default} (junit-platform.properties; {@code -Djqwik.tries.default=N}
 * for a longer run).
 */
class ApiJsonFuzzTest {
  private static final ObjectMapper ORACLE =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final Set<String> REDEEM_FIELDS =
      Set.of("couponId", "userId", "orderId", "orderAmountCents");
  private static final String VALID =
      "{\"couponId\":42,\"userId\":\"u-1\",\"orderId\":\"SO-1\",\"orderAmountCents\":35000}";
  private static final List<String> TOKENS =
      List.of(
          ",",
          ":",
          "\"",
          "{",
          "}",
          "[",
          "]",
          "\\",
          "\\u0000",
          "\\ud800",
          "\\uDFFF",
          "\\n",
          "1e999",
          "-",
          "-0",
          "0",
          "00",
          "9223372036854775807",
          "9223372036854775808",
          "1000000000001",
          "1.0",
          "null",
          "true",
          "NaN",
          "Infinity",
          "\"couponId\":1,",
          "\"reason\":\"x\",",
          "\"x\":[[[[[[[[[[1]]]]]]]]]],",
          "/* c */",
          "\uFEFF",
          "\u00ff",
          "\uD83D\uDE00",
          " ",
          "\"" + "r".repeat(300) + "\"");

  @Property
  @StatisticsReport(format = Histogram.class)
  void parseRedeem_acceptsOnlyContractBodies_andRefusesEverythingElseAs400(
      @ForAll("redeemBodies") byte[] body) throws Exception {
    ApiJson.RedeemBody parsed;
    try {
      parsed = ApiJson.parseRedeem(body);
    } catch (ApiException refused) {
      assertThat(refused.error()).isEqualTo(ApiError.INVALID_REQUEST);
      assertThat(refused.getMessage()).isNotBlank();
      Statistics.collect("refused");
      return;
    }
    Statistics.collect("accepted");
    assertThat(parsed.withKey("k-1")).isNotNull(); // the request's own rules agree
    JsonNode tree = ORACLE.readTree(body);
    assertThat(tree.isObject()).isTrue();
    assertThat(fieldNames(tree)).isEqualTo(REDEEM_FIELDS);
    assertThat(tree.get("couponId").isIntegralNumber()).isTrue();
    assertThat(tree.get("couponId").asLong()).isEqualTo(parsed.couponId()).isPositive();
    assertThat(tree.get("userId").isTextual()).isTrue();
    assertThat(tree.get("userId").asText()).isEqualTo(parsed.userId());
    assertThat(tree.get("orderId").asText()).isEqualTo(parsed.orderId());
    assertThat(tree.get("orderAmountCents").isIntegralNumber()).isTrue();
    assertThat(tree.get("orderAmountCents").asLong())
        .isEqualTo(parsed.orderAmountCents())
        .isBetween(0L, RedeemRequest.MAX_AMOUNT_CENTS);
  }

  @Property
  @StatisticsReport(format = Histogram.class)
  void parseReversal_acceptsOnlyAnEmptyBodyOrAReason_andRefusesEverythingElseAs400(
      @ForAll("reversalBodies") byte[] body) throws Exception {
    String reason;
    try {
      reason = ApiJson.parseReversal(body);
    } catch (ApiException refused) {
      assertThat(refused.error()).isEqualTo(ApiError.INVALID_REQUEST);
      Statistics.collect("refused");
      return;
    }
    Statistics.collect("accepted");
    if (body.length == 0) {
      assertThat(reason).isEmpty();
      return;
    }
    JsonNode tree = ORACLE.readTree(body);
    assertThat(tree.isObject()).isTrue();
    assertThat(fieldNames(tree)).isSubsetOf(Set.of("reason"));
    assertThat(reason).isEqualTo(tree.has("reason") ? tree.get("reason").asText() : "");
    assertThat(reason.codePointCount(0, reason.length()))
        .isLessThanOrEqualTo(io.couponflow.model.Redemption.MAX_REASON_LENGTH);
    assertThat(reason).doesNotContain("\u0000");
    assertThat(reason.codePoints().noneMatch(c -> c >= 0xD800 && c <= 0xDFFF)).isTrue();
  }

  private static Set<String> fieldNames(JsonNode node) {
    Set<String> names = new java.util.TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  @Provide
  Arbitrary<byte[]> redeemBodies() {
    return bodies(VALID, List.of("couponId", "userId", "orderId", "orderAmountCents", "x", ""));
  }

  @Provide
  Arbitrary<byte[]> reversalBodies() {
    return bodies("{\"reason\":\"order cancelled\"}", List.of("reason", "Reason", "x", ""));
  }

  private static Arbitrary<byte[]> bodies(String valid, List<String> names) {
    byte[] validBytes = valid.getBytes(StandardCharsets.UTF_8);
    Arbitrary<byte[]> mutated =
        Mutations.edits(6, TOKENS).map(edits -> Mutations.apply(validBytes, edits));
    Arbitrary<byte[]> randomBytes = Arbitraries.bytes().array(byte[].class).ofMaxSize(200);
    Arbitrary<byte[]> randomText =
        Arbitraries.strings().ofMaxLength(200).map(s -> s.getBytes(StandardCharsets.UTF_8));
    Arbitrary<byte[]> objects =
        Combinators.combine(Arbitraries.of(names), jsonValues())
            .as((n, v) -> "\"" + n + "\":" + v)
            .list()
            .ofMaxSize(6)
            .map(fields -> ("{" + String.join(",", fields) + "}").getBytes(StandardCharsets.UTF_8));
    return Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(5, mutated),
        net.jqwik.api.Tuple.of(3, objects),
        net.jqwik.api.Tuple.of(1, randomBytes),
        net.jqwik.api.Tuple.of(1, randomText));
  }

  private static Arbitrary<String> jsonValues() {
    Arbitrary<String> numbers =
        Arbitraries.oneOf(
            Arbitraries.longs().map(Object::toString),
            Arbitraries.longs().between(-2, 1_000_000_000_001L).map(Object::toString),
            Arbitraries.bigIntegers()
                .between(java.math.BigInteger.ZERO, java.math.BigInteger.TEN.pow(30))
                .map(Object::toString),
            Arbitraries.doubles().map(Object::toString),
            Arbitraries.of("-0", "1e2", "1E+2", "0.0", "01", "1.", ".5", "+1", "0x1F"));
    Arbitrary<String> strings =
        Arbitraries.oneOf(
                Arbitraries.strings().withChars("abcXYZ019_-.:").ofMaxLength(70),
                Arbitraries.strings().ofMaxLength(70),
                Arbitraries.strings().withChars("\\\"u0dDf8n").ofMaxLength(12))
            .map(s -> "\"" + s + "\"");
    Arbitrary<String> literals =
        Arbitraries.of("null", "true", "false", "[]", "{}", "[1]", "{\"a\":1}");
    return Arbitraries.oneOf(numbers, strings, literals);
  }
}
