package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.couponflow.gateway.OpenApiDoc;
import io.couponflow.lua.Counters;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Keeps openapi.yaml and the code in step: routes, statuses, error codes and body fields. */
class OpenApiTest {
  private static final OpenApiDoc DOC = OpenApiDoc.load();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static Route[] routes() {
    return Arrays.stream(Route.values()).filter(r -> r.template() != null).toArray(Route[]::new);
  }

  @Test
  void paths_areExactlyTheRoutesWithTheirOneMethod() {
    Map<String, Set<String>> fromCode = new TreeMap<>();
    for (Route r : routes()) {
      fromCode.put(r.template(), Set.of(r.method().name()));
    }

    assertThat(DOC.operations()).isEqualTo(fromCode);
  }

  @Test
  void eachOperation_documentsExactlyTheStatusesAndCodesItsRouteAnswers() {
    for (Route r : routes()) {
      Map<Integer, Set<String>> fromCode = new TreeMap<>();
      fromCode.put(r.success().code(), Set.of());
      for (ApiError e : r.errors()) {
        fromCode.computeIfAbsent(e.status().code(), s -> new TreeSet<>()).add(e.name());
      }

      assertThat(DOC.answers(r.template(), r.method().name()))
          .as("responses of %s %s", r.method(), r.template())
          .isEqualTo(fromCode);
    }
  }

  @Test
  void eachOperation_namesTheRoleItsRouteNeeds_andMutualTlsIsItsSecurityScheme() {
    for (Route r : routes()) {
      assertThat(
              DOC.root()
                  .path("paths")
                  .path(r.template())
                  .path(r.method().name().toLowerCase(java.util.Locale.ROOT))
                  .path("x-required-role")
                  .asText())
          .as("x-required-role of %s %s", r.method(), r.template())
          .isEqualTo(r.role().configName());
    }
    assertThat(DOC.root().at("/components/securitySchemes/clientCertificate/type").asText())
        .isEqualTo("mutualTLS");
  }

  @Test
  void transportErrors_areDocumentedExactly() {
    Map<Integer, Set<String>> fromCode = new TreeMap<>();
    for (ApiError e : Route.TRANSPORT_ERRORS) {
      fromCode.computeIfAbsent(e.status().code(), s -> new TreeSet<>()).add(e.name());
    }

    assertThat(DOC.transportAnswers()).isEqualTo(fromCode);
  }

  @Test
  void everyErrorCode_isAnsweredSomewhereAndListedInTheErrorSchema() {
    Set<String> answered = new TreeSet<>();
    Route.TRANSPORT_ERRORS.forEach(e -> answered.add(e.name()));
    for (Route r : routes()) {
      r.errors().forEach(e -> answered.add(e.name()));
    }
    Set<String> enumerated = new TreeSet<>();
    DOC.root()
        .at("/components/schemas/Error/properties/error/properties/code/enum")
        .forEach(n -> enumerated.add(n.asText()));

    Set<String> all = Arrays.stream(ApiError.values()).map(Enum::name).collect(Collectors.toSet());
    assertThat(answered).isEqualTo(all);
    assertThat(enumerated).isEqualTo(all);
  }

  @Test
  void redemptionBody_hasExactlyTheDocumentedFields() throws Exception {
    Redemption r =
        new Redemption(
            new RedemptionId(42, "SO-1", 1),
            "u-1",
            35_000,
            5_000,
            RedemptionStatus.ACCEPTED,
            Instant.parse("2026-01-01T00:00:00Z"),
            null);

    JsonNode body = read(ApiJson.redemption(UnpooledByteBufAllocator.DEFAULT, r));

    assertThat(fields(body))
        .isEqualTo(DOC.properties("Redemption"))
        .isEqualTo(DOC.required("Redemption"));
  }

  @Test
  void couponBody_hasExactlyTheDocumentedFields() throws Exception {
    LiveCoupon c =
        new LiveCoupon(
            new Coupon(
                42,
                "fifty off",
                100,
                1,
                30_000,
                5_000,
                Instant.parse("2026-01-01T00:00:00Z"),
                Instant.parse("2026-02-01T00:00:00Z"),
                CouponStatus.ACTIVE,
                false,
                2,
                1),
            new Counters(90, 10, 0));

    JsonNode body = read(ApiJson.coupon(UnpooledByteBufAllocator.DEFAULT, c));

    assertThat(fields(body)).isEqualTo(DOC.properties("Coupon")).isEqualTo(DOC.required("Coupon"));
  }

  @Test
  void errorBody_hasTheDocumentedShape() throws Exception {
    JsonNode body =
        read(ApiJson.error(UnpooledByteBufAllocator.DEFAULT, ApiError.SOLD_OUT, "no stock"));

    assertThat(fields(body)).isEqualTo(DOC.properties("Error"));
    assertThat(fields(body.get("error"))).containsExactlyInAnyOrder("code", "message");
    assertThat(body.at("/error/code").asText()).isEqualTo("SOLD_OUT");
  }

  private static JsonNode read(ByteBuf buf) throws Exception {
    try {
      return JSON.readTree(buf.toString(StandardCharsets.UTF_8));
    } finally {
      buf.release();
    }
  }

  private static Set<String> fields(JsonNode node) {
    Set<String> names = new TreeSet<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
