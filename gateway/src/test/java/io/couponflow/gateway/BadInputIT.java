package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile and careless input ({@link BadInputs}), each case with its exact status and code, sent as
 * raw bytes; after each, the coupon's Redis keys and every MySQL table are exactly as before, and
 * after all of them every Redis key of the test's prefix is too. None may produce a 5xx.
 */
class BadInputIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String KEY = BadInputs.KEY;
  private static final String CT = BadInputs.CT;
  private static final String VALID = BadInputs.VALID;
  private static GatewayFixture fx;
  private static String before;
  private static String beforeEverything;

  @BeforeAll
  static void start() {
    fx = GatewayFixture.start(BadInputIT.class, Map.of("COUPON_HTTP_REQUEST_TIMEOUT", "500ms"));
    fx.createCoupon(1, 10, 1, 0, 100);
    assertThat(fx.redeem("seed", 1, "u-seed", "SO-seed", 1_000).statusCode()).isEqualTo(201);
    assertThat(fx.get("/v1/coupons/1").statusCode()).isEqualTo(200);
    before = fx.state(1);
    beforeEverything = fx.state();
  }

  @AfterAll
  static void stop() {
    try {
      assertThat(fx.state()).isEqualTo(beforeEverything);
    } finally {
      fx.close();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("io.couponflow.gateway.BadInputs#cases")
  void badInput_getsItsExact4xxAndChangesNothing(
      String name, byte[] request, int status, String code) throws Exception {
    RawHttp.Response r = RawHttp.exchange(fx.port(), request);

    assertThat(r.status()).as(name + ": " + r.body()).isEqualTo(status);
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.at("/error/code").asText()).isEqualTo(code);
    assertThat(fx.state(1)).isEqualTo(before);
  }

  @Test
  void slowDrip_gets408AndChangesNothing() throws Exception {
    byte[] request =
        RawHttp.request(
            "POST", "/v1/redemptions", List.of(KEY, CT), VALID.getBytes(StandardCharsets.UTF_8));
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      for (int i = 0; i < request.length - 1 && i < 4; i++) {
        http.send(new byte[] {request[i]});
        Thread.sleep(100);
      }
      RawHttp.Response r = http.read();

      assertThat(r.status()).isEqualTo(408);
      assertThat(JSON.readTree(r.body()).at("/error/code").asText()).isEqualTo("REQUEST_TIMEOUT");
    }
    assertThat(fx.state(1)).isEqualTo(before);
  }

  @Test
  void noAnswer_wasA5xx() {
    assertThat(fx.metrics())
        .contains("couponflow_http_requests_seconds_count")
        .doesNotContainPattern("couponflow_http_requests_seconds_count\\{[^}]*status=\"5");
  }
}
