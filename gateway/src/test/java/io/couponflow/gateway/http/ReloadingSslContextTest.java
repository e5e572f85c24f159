package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.config.ConfigException;
import io.couponflow.gateway.TestPki;
import io.couponflow.gateway.security.TlsFiles;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TLS files read, checked and read again: one poll at a time, on the test's thread (the watcher
 * thread does the same every second).
 */
class ReloadingSslContextTest {
  private final Path dir =
      Path.of("target", "test-tls", "ReloadingSslContextTest-" + UUID.randomUUID())
          .toAbsolutePath();
  private final Path cert = dir.resolve("tls.crt");
  private final Path key = dir.resolve("tls.key");
  private final Path clients = dir.resolve("clients.pem");
  private final TestPki.Ca ca = TestPki.ca("server CA");
  private final TlsFiles files =
      new TlsFiles(
          cert,
          key,
          Optional.of(clients),
          "COUPON_HTTP_TLS_CERT_FILE",
          "COUPON_HTTP_TLS_KEY_FILE",
          "COUPON_HTTP_TLS_CLIENT_CA_FILE");
  private TestPki.Issued first;

  @BeforeEach
  void writeFiles() {
    first = ca.server("gateway");
    first.write(cert, key);
    TestPki.writeCertificates(clients, List.of(TestPki.ca("client CA").certificate()));
  }

  @Test
  void changedFiles_areTakenOnceTheyStayTheSameForAPoll() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ReloadingSslContext tls = ReloadingSslContext.load("api", files).bindTo(registry);
    assertThat(tls.certificate().getSerialNumber()).isEqualTo(first.serial());
    assertThat(tls.reloadIfChanged()).isFalse();

    TestPki.Issued second = ca.server("gateway");
    second.write(cert, key);

    assertThat(tls.reloadIfChanged()).as("first seen").isFalse();
    assertThat(tls.certificate().getSerialNumber()).isEqualTo(first.serial());
    assertThat(tls.reloadIfChanged()).as("the same a poll later").isTrue();
    assertThat(tls.certificate().getSerialNumber()).isEqualTo(second.serial());
    assertThat(tls.reloadIfChanged()).isFalse();
    assertThat(registry.get("couponflow.tls.reloads").tag("result", "reloaded").counter().count())
        .isEqualTo(1);
    assertThat(
            registry.get("couponflow.tls.certificate.not.after").tag("port", "api").gauge().value())
        .isEqualTo(second.certificate().getNotAfter().getTime() / 1000.0);
  }

  @Test
  void aNewTrustStore_isAChangeToo() {
    ReloadingSslContext tls = ReloadingSslContext.load("api", files);

    TestPki.writeCertificates(clients, List.of(TestPki.ca("another client CA").certificate()));

    assertThat(tls.reloadIfChanged()).isFalse();
    assertThat(tls.reloadIfChanged()).isTrue();
    assertThat(tls.describe()).contains("CN=another client CA");
  }

  @Test
  void badNewFiles_keepTheOldContext_untilGoodOnesArrive() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    ReloadingSslContext tls = ReloadingSslContext.load("api", files).bindTo(registry);

    Files.writeString(
        key, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    for (int i = 0; i < 4; i++) {
      assertThat(tls.reloadIfChanged()).isFalse();
    }
    assertThat(tls.certificate().getSerialNumber()).isEqualTo(first.serial());
    assertThat(registry.get("couponflow.tls.reloads").tag("result", "refused").counter().count())
        .as("refused once, not at every poll")
        .isEqualTo(1);

    TestPki.Issued fixed = ca.server("gateway");
    fixed.write(cert, key);
    tls.reloadIfChanged();
    assertThat(tls.reloadIfChanged()).isTrue();
    assertThat(tls.certificate().getSerialNumber()).isEqualTo(fixed.serial());
  }

  @Test
  void aCertificateWithAnotherKeysKey_isRefused_namingTheKeyFile() {
    TestPki.Issued other = ca.server("gateway");
    TestPki.writeCertificates(cert, first.chain());
    other.write(dir.resolve("other.crt"), key);

    assertThatThrownBy(() -> ReloadingSslContext.load("api", files))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COUPON_HTTP_TLS_KEY_FILE: "
                + key
                + " is not the key of the certificate in COUPON_HTTP_TLS_CERT_FILE ("
                + cert
                + ")");
  }

  @Test
  void unusableFilesAtStart_areRefusedNamingTheirVariable_withoutQuotingThem() throws Exception {
    Files.delete(clients);
    assertThatThrownBy(() -> ReloadingSslContext.load("api", files))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COUPON_HTTP_TLS_CLIENT_CA_FILE: " + clients + " cannot be read (NoSuchFileException)");

    Files.writeString(clients, "not a certificate");
    assertThatThrownBy(() -> ReloadingSslContext.load("api", files))
        .hasMessage(
            "COUPON_HTTP_TLS_CLIENT_CA_FILE: "
                + clients
                + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");

    String secret = "c2VjcmV0IGtleSBtYXRlcmlhbA==";
    Files.writeString(
        key, "-----BEGIN EC PRIVATE KEY-----\n" + secret + "\n-----END EC PRIVATE KEY-----\n");
    assertThatThrownBy(() -> ReloadingSslContext.load("api", files))
        .hasMessageStartingWith("COUPON_HTTP_TLS_KEY_FILE: " + key + " holds a 'EC PRIVATE KEY'")
        .hasMessageNotContaining(secret);

    Files.writeString(
        key,
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
            + secret
            + "\n-----END ENCRYPTED PRIVATE KEY-----\n");
    assertThatThrownBy(() -> ReloadingSslContext.load("api", files))
        .hasMessageContaining("is encrypted")
        .hasMessageNotContaining(secret);
  }

  @Test
  void rsaKeysInPkcs1_areReadToo() throws Exception {
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var rsa = generator.generateKeyPair();
    byte[] pkcs1 =
        PrivateKeyInfo.getInstance(rsa.getPrivate().getEncoded())
            .parsePrivateKey()
            .toASN1Primitive()
            .getEncoded();
    TestPki.Issued server = ca.serverWithKeys("gateway", rsa);
    TestPki.writeCertificates(cert, server.chain());
    Files.writeString(key, TestPki.pem("RSA PRIVATE KEY", pkcs1), StandardCharsets.US_ASCII);

    ReloadingSslContext tls = ReloadingSslContext.load("api", files);

    assertThat(tls.certificate().getSerialNumber()).isEqualTo(server.serial());
  }
}
