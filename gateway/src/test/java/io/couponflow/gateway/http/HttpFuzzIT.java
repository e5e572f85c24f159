package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.gateway.RawHttp;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * {@link HttpFuzzTest}'s inputs against a whole gateway, real Redis and MariaDB, over a socket. The
 * only coupon there is (42) is paused, and redemption 42.SO-1.1 does not exist, so no input may
 * change anything: after every try, coupon 42's Redis keys and every MySQL table are exactly as
 * before, and every answer is within the contract.
 */
class HttpFuzzIT {
  /** Ends each try: closes a connection whose requests were whole, or meets the deadline. */
  private static final byte[] LAST =
      "GET /v1/coupons/42 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.ISO_8859_1);

  private static GatewayFixture fx;
  private static String before;

  @BeforeContainer
  static void start() {
    fx = GatewayFixture.start(HttpFuzzIT.class, Map.of("COUPON_HTTP_REQUEST_TIMEOUT", "100ms"));
    Instant now = Instant.now();
    fx.createCoupon(
        new Coupon(
            42,
            "paused",
            10,
            1,
            0,
            100,
            now.minusSeconds(60),
            now.plusSeconds(3_600),
            CouponStatus.PAUSED,
            false,
            Coupon.bucketsFor(10),
            1));
    assertThat(fx.get("/v1/coupons/42").statusCode()).isEqualTo(200);
    before = fx.state(42);
  }

  @AfterContainer
  static void stop() {
    try {
      assertThat(fx.metrics())
          .doesNotContainPattern("couponflow_http_requests_seconds_count\\{[^}]*status=\"5");
    } finally {
      fx.close();
    }
  }

  @Property(tries = 300)
  void anyBytes_areAnsweredInTheContract_andChangeNothing(
      @ForAll("inputs") HttpFuzzTest.Input input) throws Exception {
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send(Mutations.concat(input.bytes(), LAST));
      while (true) {
        RawHttp.Response r;
        try {
          r = http.read();
        } catch (RuntimeException closed) {
          break;
        }
        String raw = r.status() + " " + r.headers() + " " + r.body();
        HttpFuzzTest.assertInContract(r.status(), r.headers(), r.body(), raw);
      }
    }
    assertThat(fx.state(42)).isEqualTo(before);
  }

  @Provide
  Arbitrary<HttpFuzzTest.Input> inputs() {
    return HttpFuzzTest.anyInputs();
  }
}
