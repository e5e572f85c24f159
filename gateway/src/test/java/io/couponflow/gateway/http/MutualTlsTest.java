package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.config.Env;
import io.couponflow.gateway.GatewayConfig;
import io.couponflow.gateway.RawHttp;
import io.couponflow.gateway.TestPki;
import io.couponflow.gateway.security.ClientRoles;
import io.couponflow.gateway.security.TlsFiles;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Redemption;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The API's pipeline ({@link ApiInitializer}) with mTLS on a real loopback socket, in front of a
 * {@link FakeRedemptions}, under both TLS providers: who gets through the handshake, and which
 * roles a certificate's names carry to the router.
 */
class MutualTlsTest {
  private static final Path DIR =
      Path.of("target", "test-tls", "MutualTlsTest-" + UUID.randomUUID()).toAbsolutePath();
  private static final String ROLES =
      "checkout=redeem,read;support.internal=reverse,read;spiffe://couponflow/ops=redeem,reverse,read";
  private static final Redemption R = FakeRedemptions.redemption(42, "SO-1");

  private static TestPki.Ca serverCa;
  private static TestPki.Ca clientCa;
  private static TestPki.Ca otherCa;
  private static TlsFiles files;

  private HttpServer server;
  private FakeRedemptions service;
  private SimpleMeterRegistry registry;
  private int port;

  @BeforeAll
  static void makeCertificates() {
    serverCa = TestPki.ca("server CA");
    clientCa = TestPki.ca("client CA");
    otherCa = TestPki.ca("another CA");
    serverCa.server("gateway").write(DIR.resolve("tls.crt"), DIR.resolve("tls.key"));
    TestPki.writeCertificates(DIR.resolve("clients.pem"), List.of(clientCa.certificate()));
    files =
        new TlsFiles(
            DIR.resolve("tls.crt"),
            DIR.resolve("tls.key"),
            Optional.of(DIR.resolve("clients.pem")),
            "COUPON_HTTP_TLS_CERT_FILE",
            "COUPON_HTTP_TLS_KEY_FILE",
            "COUPON_HTTP_TLS_CLIENT_CA_FILE");
  }

  /** Serves the API with mTLS by {@code provider}; skipped where OpenSSL does not load. */
  private void start(SslProvider provider) {
    if (provider == SslProvider.OPENSSL) {
      org.junit.jupiter.api.Assumptions.assumeTrue(OpenSsl.isAvailable(), "netty-tcnative loads");
    }
    service = new FakeRedemptions();
    service.redeem = r -> CompletableFuture.completedFuture(new RedeemOutcome.Accepted(R, "1-0"));
    service.reverse =
        id ->
            CompletableFuture.completedFuture(
                new ReverseOutcome.Reversed(FakeRedemptions.reversed(R), false, "2-0"));
    registry = new SimpleMeterRegistry();
    server = HttpServer.withThreads("test API", 1);
    ReloadingSslContext tls = ReloadingSslContext.load("api", files, provider);
    port =
        server.bind(
            "127.0.0.1",
            0,
            new ApiInitializer(
                GatewayConfig.from(Env.of(Map.of())),
                service,
                new HttpMetrics(registry),
                new InFlight(100),
                server.connections(),
                tls,
                ClientRoles.parse(ROLES)));
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.close();
    }
  }

  private SSLContext as(TestPki.Issued client) {
    return TestPki.clientContext(client, serverCa.certificate());
  }

  private RawHttp.Response exchange(SSLContext client, byte[] request) {
    try (RawHttp http = new RawHttp(TestPki.connect(client, port, Duration.ofSeconds(5)))) {
      http.send(request);
      return http.read();
    }
  }

  private static byte[] redeem() {
    return RawHttp.request(
        "POST",
        "/v1/redemptions",
        List.of("Content-Type: application/json", "Idempotency-Key: k-1"),
        "{\"couponId\":42,\"userId\":\"u-1\",\"orderId\":\"SO-1\",\"orderAmountCents\":35000}"
            .getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] reverse() {
    return RawHttp.request("POST", "/v1/redemptions/42.SO-1.1/reversal", List.of(), new byte[0]);
  }

  private static byte[] getCoupon() {
    return RawHttp.request("GET", "/v1/coupons/42", List.of(), null);
  }

  private double handshakes(String result) {
    var counter = registry.find("couponflow.http.tls.handshakes").tag("result", result).counter();
    return counter == null ? 0 : counter.count();
  }

  @ParameterizedTest
  @EnumSource(
      value = SslProvider.class,
      names = {"JDK", "OPENSSL"})
  void trustedClientWithTheRole_isServed(SslProvider provider) {
    start(provider);

    RawHttp.Response r = exchange(as(clientCa.client("checkout")), redeem());

    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(service.calls).containsExactly("redeem 42 k-1 u-1 SO-1 35000");
    assertThat(handshakes("success")).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(
      value = SslProvider.class,
      names = {"JDK", "OPENSSL"})
  void trustedClientWithoutTheRole_isForbidden_andNothingIsAsked(SslProvider provider) {
    start(provider);

    RawHttp.Response r = exchange(as(clientCa.client("checkout")), reverse());

    assertThat(r.status()).isEqualTo(403);
    assertThat(r.body())
        .isEqualTo(
            "{\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"the client certificate of 'checkout'"
                + " does not have the role 'reverse' (COUPON_HTTP_CLIENT_ROLES)\"}}");
    assertThat(service.calls).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(
      value = SslProvider.class,
      names = {"JDK", "OPENSSL"})
  void clientsWithoutATrustedValidCertificate_failTheHandshake(SslProvider provider) {
    start(provider);
    Instant now = Instant.now();
    List<SSLContext> refused =
        List.of(
            as(null),
            as(clientCa.client("checkout", now.minusSeconds(7200), now.minusSeconds(60))),
            as(clientCa.client("checkout", now.plusSeconds(3600), now.plusSeconds(7200))),
            as(otherCa.client("checkout")),
            as(otherCa.client("ops-impostor", "spiffe://couponflow/ops")));

    for (SSLContext client : refused) {
      assertThatThrownBy(() -> exchange(client, redeem()))
          .isInstanceOf(UncheckedIOException.class)
          // the alert (SSLException), or the connection the server closed after sending it
          .hasCauseInstanceOf(IOException.class);
    }

    assertThat(service.calls).isEmpty();
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> handshakes("failure") == refused.size());
    assertThat(handshakes("success")).isZero();
  }

  @ParameterizedTest
  @EnumSource(
      value = SslProvider.class,
      names = {"JDK", "OPENSSL"})
  void rolesFollowTheSubjectCn_aSanDnsName_orASanUri(SslProvider provider) {
    start(provider);
    SSLContext byDns = as(clientCa.client("support-7", "support.internal"));
    SSLContext byUri = as(clientCa.client("ops-worker", "spiffe://couponflow/ops"));
    SSLContext nobody = as(clientCa.client("stranger", "stranger.internal"));

    assertThat(exchange(byDns, reverse()).status()).isEqualTo(200);
    assertThat(exchange(byDns, getCoupon()).status()).isEqualTo(404);
    assertThat(exchange(byDns, redeem()).status()).isEqualTo(403);
    assertThat(exchange(byUri, redeem()).status()).isEqualTo(201);
    assertThat(exchange(byUri, reverse()).status()).isEqualTo(200);
    RawHttp.Response stranger = exchange(nobody, getCoupon());
    assertThat(stranger.status()).isEqualTo(403);
    assertThat(stranger.body()).contains("'stranger'");

    assertThat(service.calls)
        .containsExactly(
            "reverse 42.SO-1.1 ",
            "coupon 42",
            "redeem 42 k-1 u-1 SO-1 35000",
            "reverse 42.SO-1.1 ");
  }

  @Test
  void theCallerIsKnownForEveryRequestOfAKeptAliveConnection() {
    start(SslProvider.JDK);
    SSLSocket socket =
        TestPki.connect(as(clientCa.client("checkout")), port, Duration.ofSeconds(5));
    try (RawHttp http = new RawHttp(socket)) {
      for (int i = 0; i < 3; i++) {
        http.send(getCoupon());
        assertThat(http.read().status()).isEqualTo(404);
        http.send(reverse());
        assertThat(http.read().status()).isEqualTo(403);
      }
    }
    assertThat(handshakes("success")).isEqualTo(1);
  }
}
