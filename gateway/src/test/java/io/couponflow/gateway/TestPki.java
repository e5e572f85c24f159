package io.couponflow.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made by the test, with BouncyCastle: CAs, server and client certificates they sign
 * (EC P-256 keys, quick to make), written as the PEM files the gateway reads, and the JDK client
 * contexts that present them.
 */
public final class TestPki {
  private static final AtomicLong SERIALS = new AtomicLong(System.nanoTime() & 0xffffffL);

  private TestPki() {}

  /** A key pair and the certificate chain that names it (its own certificate first). */
  public record Issued(KeyPair keys, List<X509Certificate> chain) {
    public X509Certificate certificate() {
      return chain.get(0);
    }

    public BigInteger serial() {
      return certificate().getSerialNumber();
    }

    /** Writes the chain and the key (PKCS#8) as PEM files, each replaced in one step. */
    public void write(Path certificateFile, Path keyFile) {
      writeCertificates(certificateFile, chain);
      writeAtomically(keyFile, pem("PRIVATE KEY", keys.getPrivate().getEncoded()));
    }
  }

  /** A certificate authority that signs what it issues. */
  public static final class Ca {
    private final Issued self;

    private Ca(Issued self) {
      this.self = self;
    }

    public X509Certificate certificate() {
      return self.certificate();
    }

    /** A server certificate for 127.0.0.1 and localhost, valid from an hour ago for a day. */
    public Issued server(String commonName) {
      return serverWithKeys(commonName, ecKeys());
    }

    /** {@link #server} for keys of the caller's (RSA, say). */
    public Issued serverWithKeys(String commonName, KeyPair keys) {
      return issue(
          keys,
          commonName,
          List.of(
              new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
              new GeneralName(GeneralName.dNSName, "localhost")),
          Instant.now().minus(Duration.ofHours(1)),
          Instant.now().plus(Duration.ofDays(1)),
          KeyPurposeId.id_kp_serverAuth);
    }

    /** A client certificate with this CN and these SANs (DNS names, or URIs with a ':'). */
    public Issued client(String commonName, String... alternativeNames) {
      return client(
          commonName,
          Instant.now().minus(Duration.ofHours(1)),
          Instant.now().plus(Duration.ofDays(1)),
          alternativeNames);
    }

    public Issued client(
        String commonName, Instant notBefore, Instant notAfter, String... alternativeNames) {
      List<GeneralName> sans = new ArrayList<>();
      for (String name : alternativeNames) {
        sans.add(
            new GeneralName(
                name.contains(":") ? GeneralName.uniformResourceIdentifier : GeneralName.dNSName,
                name));
      }
      return issue(ecKeys(), commonName, sans, notBefore, notAfter, KeyPurposeId.id_kp_clientAuth);
    }

    private Issued issue(
        KeyPair keys,
        String commonName,
        List<GeneralName> sans,
        Instant notBefore,
        Instant notAfter,
        KeyPurposeId purpose) {
      X509Certificate cert =
          sign(
              self.keys().getPrivate(),
              self.certificate(),
              commonName,
              keys,
              notBefore,
              notAfter,
              false,
              sans,
              purpose);
      return new Issued(keys, List.of(cert, self.certificate()));
    }
  }

  /** A self-signed CA, valid from a day ago for ten days. */
  public static Ca ca(String commonName) {
    KeyPair keys = ecKeys();
    X509Certificate cert =
        sign(
            keys.getPrivate(),
            null,
            commonName,
            keys,
            Instant.now().minus(Duration.ofDays(1)),
            Instant.now().plus(Duration.ofDays(10)),
            true,
            List.of(),
            null);
    return new Ca(new Issued(keys, List.of(cert)));
  }

  private static KeyPair ecKeys() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate sign(
      PrivateKey issuerKey,
      X509Certificate issuer,
      String commonName,
      KeyPair subject,
      Instant notBefore,
      Instant notAfter,
      boolean ca,
      List<GeneralName> sans,
      KeyPurposeId purpose) {
    try {
      X500Name subjectName = new X500Name("CN=" + commonName + ",O=couponflow tests");
      X500Name issuerName =
          issuer == null
              ? subjectName
              : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded());
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuerName,
              BigInteger.valueOf(SERIALS.incrementAndGet()),
              Date.from(notBefore),
              Date.from(notAfter),
              subjectName,
              subject.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(ca ? KeyUsage.keyCertSign | KeyUsage.cRLSign : KeyUsage.digitalSignature));
      if (purpose != null) {
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
      }
      if (!sans.isEmpty()) {
        b.addExtension(
            Extension.subjectAlternativeName,
            false,
            new GeneralNames(sans.toArray(GeneralName[]::new)));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (Exception e) {
      throw new IllegalStateException("cannot make a test certificate", e);
    }
  }

  /** Certificates as one PEM file (a chain, or a CA bundle), replaced in one step. */
  public static void writeCertificates(Path file, List<X509Certificate> certificates) {
    StringBuilder pem = new StringBuilder();
    try {
      for (X509Certificate c : certificates) {
        pem.append(pem("CERTIFICATE", c.getEncoded()));
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    writeAtomically(file, pem.toString());
  }

  public static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static void writeAtomically(Path file, String content) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, content, StandardCharsets.US_ASCII);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A client's TLS context: presents {@code client} (none when null) and trusts servers that {@code
   * serverCa} signed. Sessions are not resumed across connections made from different contexts.
   */
  public static SSLContext clientContext(Issued client, X509Certificate serverCa) {
    try {
      char[] password = "test".toCharArray();
      KeyManagerFactory kmf = null;
      if (client != null) {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry(
            "client",
            client.keys().getPrivate(),
            password,
            client.chain().toArray(X509Certificate[]::new));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
      }
      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("server-ca", serverCa);
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A TLS connection to 127.0.0.1:{@code port}, its handshake done (which, in TLS 1.3, the server
   * may still refuse: the refusal then shows on the first read).
   */
  public static SSLSocket connect(SSLContext context, int port, Duration readTimeout) {
    SSLSocket socket = null;
    try {
      socket = (SSLSocket) context.getSocketFactory().createSocket();
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      socket.setSoTimeout((int) readTimeout.toMillis());
      socket.setTcpNoDelay(true);
      var params = socket.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(params);
      socket.startHandshake();
      return socket;
    } catch (IOException e) {
      closeQuietly(socket);
      throw new UncheckedIOException(e);
    }
  }

  private static void closeQuietly(SSLSocket socket) {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
