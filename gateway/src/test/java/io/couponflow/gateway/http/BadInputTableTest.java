package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The whole bad-input table of {@code BadInputIT}, through the API's pipeline on an {@code
 * EmbeddedChannel}: each case gets its exact status and code in the contract's error shape, and
 * none reaches the service.
 */
class BadInputTableTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.couponflow.gateway.BadInputs#cases")
  void badInput_getsItsExact4xxAndNeverReachesTheService(
      String name, byte[] request, int status, String code) throws Exception {
    try (ApiChannel api = new ApiChannel(Map.of("COUPON_HTTP_REQUEST_TIMEOUT", "500ms"), 10)) {
      ApiChannel.Response r = api.exchange(request);

      assertThat(r.status()).as(name + ": " + r.body()).isEqualTo(status);
      assertThat(r.header("Content-Type")).isEqualTo("application/json");
      assertThat(Integer.parseInt(r.header("Content-Length"))).isEqualTo(r.body().length());
      JsonNode body = JSON.readTree(r.body());
      assertThat(body.size()).isEqualTo(1);
      assertThat(body.at("/error/code").asText()).isEqualTo(code);
      assertThat(body.at("/error/message").isTextual()).isTrue();
      assertThat(api.available()).as("one answer only").isFalse();
      assertThat(api.service.calls).isEmpty();
      assertThat(api.inFlight.current()).isZero();
    }
  }
}
