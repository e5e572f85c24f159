package io.couponflow.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.gateway.RawHttp;
import io.couponflow.gateway.TestPki;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Certificate rotation under load: the server certificate and the client CA file are replaced while
 * keep-alive connections redeem; new connections get the new ones, the open connections go on with
 * theirs, and no request fails.
 */
class TlsRotationIT {
  private static final Path DIR =
      Path.of("target", "test-tls", "TlsRotationIT-" + UUID.randomUUID()).toAbsolutePath();
  private static final int CONNECTIONS = 3;

  private static TestPki.Ca serverCa;
  private static TestPki.Ca oldClients;
  private static TestPki.Issued firstServer;
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    serverCa = TestPki.ca("server CA");
    oldClients = TestPki.ca("client CA 1");
    firstServer = serverCa.server("gateway");
    firstServer.write(DIR.resolve("tls.crt"), DIR.resolve("tls.key"));
    TestPki.writeCertificates(DIR.resolve("clients.pem"), List.of(oldClients.certificate()));
    serverCa
        .server("management")
        .write(DIR.resolve("management.crt"), DIR.resolve("management.key"));
    fx =
        GatewayFixture.start(
            TlsRotationIT.class,
            Map.of(
                "COUPON_HTTP_HOST", "127.0.0.1",
                "COUPON_HTTP_TLS_CERT_FILE", DIR.resolve("tls.crt").toString(),
                "COUPON_HTTP_TLS_KEY_FILE", DIR.resolve("tls.key").toString(),
                "COUPON_HTTP_TLS_CLIENT_CA_FILE", DIR.resolve("clients.pem").toString(),
                "COUPON_HTTP_CLIENT_ROLES", "checkout=redeem,read",
                "COUPON_MANAGEMENT_TLS_CERT_FILE", DIR.resolve("management.crt").toString(),
                "COUPON_MANAGEMENT_TLS_KEY_FILE", DIR.resolve("management.key").toString()));
  }

  @AfterAll
  static void stop() {
    if (fx != null) {
      fx.close();
    }
  }

  private static SSLSocket connect(TestPki.Issued client) {
    return TestPki.connect(
        TestPki.clientContext(client, serverCa.certificate()), fx.port(), Duration.ofSeconds(5));
  }

  private static BigInteger servedSerial(SSLSocket socket) throws Exception {
    return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
  }

  @Test
  void managementPort_speaksTls_withoutAskingForAClientCertificate() throws Exception {
    SSLContext noCertificate = TestPki.clientContext(null, serverCa.certificate());
    try (SSLSocket socket =
            TestPki.connect(noCertificate, fx.gateway().managementPort(), Duration.ofSeconds(5));
        RawHttp http = new RawHttp(socket)) {
      http.send(RawHttp.request("GET", "/health/live", List.of(), null));
      assertThat(http.read().status()).isEqualTo(200);
      assertThat(
              ((X509Certificate) socket.getSession().getPeerCertificates()[0])
                  .getSubjectX500Principal()
                  .getName())
          .contains("CN=management");
    }
  }

  @Test
  void rotation_newConnectionsGetTheNewFiles_openOnesKeepTheirs_andNoRequestFails()
      throws Exception {
    fx.createCoupon(1, 1_000_000, 1, 0, 500);
    TestPki.Issued oldClient = oldClients.client("checkout");
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong answered = new AtomicLong();
    AtomicLong[] perConnection = new AtomicLong[CONNECTIONS];
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    List<SSLSocket> sockets = new ArrayList<>();
    List<Thread> load = new ArrayList<>();
    for (int c = 0; c < CONNECTIONS; c++) {
      SSLSocket socket = connect(oldClient);
      sockets.add(socket);
      AtomicLong mine = perConnection[c] = new AtomicLong();
      int connection = c;
      Thread t =
          new Thread(
              () -> {
                try (RawHttp http = new RawHttp(socket)) {
                  for (long i = 0; !stop.get(); i++) {
                    http.send(MutualTlsIT.redeem(1, connection + "-" + i));
                    RawHttp.Response r = http.read();
                    if (r.status() != 201) {
                      failures.add(r.status() + " " + r.body());
                    }
                    answered.incrementAndGet();
                    mine.incrementAndGet();
                  }
                } catch (RuntimeException e) {
                  failures.add(e.toString());
                }
              },
              "load-" + c);
      t.start();
      load.add(t);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> answered.get() >= 100);

    // Rotate: a new server certificate and key, one file after the other, then a new client CA.
    TestPki.Issued secondServer = serverCa.server("gateway");
    TestPki.Ca newClients = TestPki.ca("client CA 2");
    TestPki.writeCertificates(DIR.resolve("tls.crt"), secondServer.chain());
    Thread.sleep(300);
    secondServer.write(DIR.resolve("tls.crt"), DIR.resolve("tls.key"));
    TestPki.writeCertificates(DIR.resolve("clients.pem"), List.of(newClients.certificate()));
    TestPki.Issued newClient = newClients.client("checkout");

    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              try (SSLSocket probe = connect(newClient);
                  RawHttp http = new RawHttp(probe)) {
                http.send(RawHttp.request("GET", "/v1/coupons/1", List.of(), null));
                return http.read().status() == 200
                    && servedSerial(probe).equals(secondServer.serial());
              }
            });
    long atRotation = answered.get();
    long[] perConnectionAtRotation = new long[CONNECTIONS];
    for (int c = 0; c < CONNECTIONS; c++) {
      perConnectionAtRotation[c] = perConnection[c].get();
    }

    // The old client CA is gone for new connections ...
    assertThatThrownBy(
            () -> {
              try (RawHttp http = new RawHttp(connect(oldClient))) {
                http.send(MutualTlsIT.redeem(1, "refused"));
                http.read();
              }
            })
        .isInstanceOf(UncheckedIOException.class);
    // ... while the connections opened before keep theirs, and keep being answered.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              for (int c = 0; c < CONNECTIONS; c++) {
                if (perConnection[c].get() < perConnectionAtRotation[c] + 50) {
                  return false;
                }
              }
              return true;
            });
    stop.set(true);
    for (Thread t : load) {
      t.join(10_000);
    }

    assertThat(failures).isEmpty();
    assertThat(answered.get()).isGreaterThan(atRotation);
    for (SSLSocket socket : sockets) {
      assertThat(servedSerial(socket)).isEqualTo(firstServer.serial());
    }
    long accepted = answered.get();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                fx.db().queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 1")
                    == accepted);
  }
}
