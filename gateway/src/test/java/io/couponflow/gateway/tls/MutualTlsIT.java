package io.couponflow.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.gateway.RawHttp;
import io.couponflow.gateway.TestPki;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The gateway with mTLS, against real Redis and MySQL, through real TLS handshakes with
 * certificates this test makes: who gets in, and what each role lets a caller change.
 */
class MutualTlsIT {
  private static final Path DIR =
      Path.of("target", "test-tls", "MutualTlsIT-" + UUID.randomUUID()).toAbsolutePath();

  private static TestPki.Ca serverCa;
  private static TestPki.Ca clientCa;
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    serverCa = TestPki.ca("server CA");
    clientCa = TestPki.ca("client CA");
    serverCa.server("gateway").write(DIR.resolve("tls.crt"), DIR.resolve("tls.key"));
    TestPki.writeCertificates(DIR.resolve("clients.pem"), List.of(clientCa.certificate()));
    fx =
        GatewayFixture.start(
            MutualTlsIT.class,
            Map.of(
                "COUPON_HTTP_HOST", "127.0.0.1",
                "COUPON_HTTP_TLS_CERT_FILE", DIR.resolve("tls.crt").toString(),
                "COUPON_HTTP_TLS_KEY_FILE", DIR.resolve("tls.key").toString(),
                "COUPON_HTTP_TLS_CLIENT_CA_FILE", DIR.resolve("clients.pem").toString(),
                "COUPON_HTTP_CLIENT_ROLES", "checkout=redeem,read;support=reverse,read"));
  }

  @AfterAll
  static void stop() {
    if (fx != null) {
      fx.close();
    }
  }

  private static SSLContext as(TestPki.Issued client) {
    return TestPki.clientContext(client, serverCa.certificate());
  }

  private static RawHttp.Response exchange(SSLContext client, byte[] request) {
    try (RawHttp http = new RawHttp(TestPki.connect(client, fx.port(), Duration.ofSeconds(5)))) {
      http.send(request);
      return http.read();
    }
  }

  static byte[] redeem(long coupon, String n) {
    return RawHttp.request(
        "POST",
        "/v1/redemptions",
        List.of("Content-Type: application/json", "Idempotency-Key: k-" + n),
        GatewayFixture.redeemBody(coupon, "u-" + n, "SO-" + n, 35_000)
            .getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] reverse(String id) {
    return RawHttp.request(
        "POST",
        "/v1/redemptions/" + id + "/reversal",
        List.of("Content-Type: application/json"),
        "{\"reason\":\"test\"}".getBytes(StandardCharsets.UTF_8));
  }

  private static double handshakeFailures() {
    for (String line : fx.metrics().split("\n")) {
      if (line.startsWith("couponflow_http_tls_handshakes_total{")
          && line.contains("result=\"failure\"")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return 0;
  }

  @Test
  void trustedClientWithTheRole_redeems() {
    fx.createCoupon(1, 100, 1, 0, 500);

    RawHttp.Response r = exchange(as(clientCa.client("checkout")), redeem(1, "1"));

    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.body()).contains("\"redemptionId\":\"1.SO-1.1\"", "\"status\":\"ACCEPTED\"");
  }

  @Test
  void trustedClientWithoutReverse_isForbidden_andRedisAndMySqlAreUnchanged() {
    fx.createCoupon(2, 100, 1, 0, 500);
    SSLContext checkout = as(clientCa.client("checkout"));
    assertThat(exchange(checkout, redeem(2, "2")).status()).isEqualTo(201);
    String before = fx.state(2);

    RawHttp.Response r = exchange(checkout, reverse("2.SO-2.1"));

    assertThat(r.status()).isEqualTo(403);
    assertThat(r.header("content-type")).isEqualTo("application/json");
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"the client certificate of"
                + " 'checkout' does not have the role 'reverse' (COUPON_HTTP_CLIENT_ROLES)\"}}");
    assertThat(fx.state(2)).isEqualTo(before);

    // the same reversal by a caller with the role goes through: it was the role that stopped it
    RawHttp.Response reversed = exchange(as(clientCa.client("support")), reverse("2.SO-2.1"));
    assertThat(reversed.status()).as(reversed.body()).isEqualTo(200);
    assertThat(reversed.body()).contains("\"status\":\"REVERSED\"");
    assertThat(fx.state(2)).isNotEqualTo(before);
  }

  @Test
  void noCertificate_anExpiredOne_andOneOfAnotherCa_failTheHandshake_andChangeNothing() {
    fx.createCoupon(3, 100, 1, 0, 500);
    String before = fx.state(3);
    double failuresBefore = handshakeFailures();
    Instant now = Instant.now();
    List<SSLContext> refused =
        List.of(
            as(null),
            as(clientCa.client("checkout", now.minusSeconds(7200), now.minusSeconds(60))),
            as(TestPki.ca("another CA").client("checkout")));

    for (SSLContext client : refused) {
      assertThatThrownBy(() -> exchange(client, redeem(3, "3")))
          .isInstanceOf(UncheckedIOException.class)
          .hasCauseInstanceOf(IOException.class);
    }

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> handshakeFailures() == failuresBefore + refused.size());
    assertThat(fx.state(3)).isEqualTo(before);
    assertThat(exchange(as(clientCa.client("checkout")), redeem(3, "3")).status()).isEqualTo(201);
  }

  @Test
  void plainHttp_onTheTlsPort_getsNoAnswer() {
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send(redeem(1, "plain"));
      assertThat(http.closedByServer()).isTrue();
    }
  }
}
