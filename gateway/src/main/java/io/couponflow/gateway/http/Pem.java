package io.couponflow.gateway.http;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM certificates and private keys, read strictly, with messages that say what is wrong and never
 * quote the key.
 */
final class Pem {
  private static final Pattern BLOCK =
      Pattern.compile(
          "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*)-----END \\1-----", Pattern.DOTALL);

  /** The DER of an AlgorithmIdentifier for rsaEncryption (1.2.840.113549.1.1.1) with NULL. */
  private static final byte[] RSA_ALGORITHM = {
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    (byte) 0x86,
    0x48,
    (byte) 0x86,
    (byte) 0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00
  };

  private Pem() {}

  /** A refusal whose message is safe to log. */
  static final class BadPemException extends Exception {
    private static final long serialVersionUID = 1L;

    BadPemException(String message) {
      super(message);
    }
  }

  /** Every {@code CERTIFICATE} block, in order; at least one. */
  static List<X509Certificate> certificates(byte[] pem) throws BadPemException {
    List<X509Certificate> certificates = new ArrayList<>();
    CertificateFactory factory;
    try {
      factory = CertificateFactory.getInstance("X.509");
    } catch (CertificateException e) {
      throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
    }
    Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
    while (m.find()) {
      if (!m.group(1).equals("CERTIFICATE")) {
        continue;
      }
      try {
        certificates.add(
            (X509Certificate)
                factory.generateCertificate(new ByteArrayInputStream(decode(m.group(2)))));
      } catch (CertificateException | IllegalArgumentException e) {
        throw new BadPemException(
            "certificate " + (certificates.size() + 1) + " cannot be parsed (" + e + ")");
      }
    }
    if (certificates.isEmpty()) {
      throw new BadPemException("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    return certificates;
  }

  /**
   * The one private key of the file: PKCS#8 ({@code BEGIN PRIVATE KEY}), or an RSA key in PKCS#1
   * ({@code BEGIN RSA PRIVATE KEY}), unencrypted, of the algorithm of {@code publicKey}.
   */
  static PrivateKey privateKey(byte[] pem, PublicKey publicKey) throws BadPemException {
    Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
    byte[] pkcs8 = null;
    while (m.find()) {
      String type = m.group(1);
      if (!type.endsWith("PRIVATE KEY")) {
        continue;
      }
      if (pkcs8 != null) {
        throw new BadPemException("holds more than one private key");
      }
      byte[] der;
      try {
        der = decode(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new BadPemException("the private key is not valid base64");
      }
      pkcs8 =
          switch (type) {
            case "PRIVATE KEY" -> der;
            case "RSA PRIVATE KEY" -> rsaPkcs1ToPkcs8(der);
            case "ENCRYPTED PRIVATE KEY" ->
                throw new BadPemException(
                    "the private key is encrypted (expected an unencrypted key: openssl pkcs8"
                        + " -topk8 -nocrypt)");
            default ->
                throw new BadPemException(
                    "holds a '"
                        + type
                        + "' (expected PKCS#8 'PRIVATE KEY' or 'RSA PRIVATE KEY': openssl pkcs8"
                        + " -topk8 -nocrypt converts it)");
          };
    }
    if (pkcs8 == null) {
      throw new BadPemException("holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    try {
      return KeyFactory.getInstance(publicKey.getAlgorithm())
          .generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    } catch (GeneralSecurityException e) {
      throw new BadPemException(
          "holds a private key that cannot be read as one of the certificate's algorithm, "
              + publicKey.getAlgorithm()
              + " ("
              + e.getClass().getSimpleName()
              + ")");
    }
  }

  /**
   * Whether {@code key} is the private half of {@code publicKey}: a signature it makes verifies.
   * True when the algorithm is not one of RSA, EC and EdDSA (the TLS stack then decides).
   */
  static boolean matches(PrivateKey key, PublicKey publicKey) {
    String algorithm =
        switch (publicKey.getAlgorithm()) {
          case "RSA" -> "SHA256withRSA";
          case "EC" -> "SHA256withECDSA";
          case "EdDSA", "Ed25519", "Ed448" -> publicKey.getAlgorithm();
          default -> null;
        };
    if (algorithm == null) {
      return true;
    }
    try {
      byte[] challenge = new byte[32];
      new SecureRandom().nextBytes(challenge);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      return verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  private static byte[] decode(String base64) {
    return Base64.getMimeDecoder().decode(base64.replaceAll("\\s", ""));
  }

  /** PKCS#1 RSAPrivateKey wrapped as PKCS#8 PrivateKeyInfo: version 0, rsaEncryption, the key. */
  private static byte[] rsaPkcs1ToPkcs8(byte[] pkcs1) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.writeBytes(new byte[] {0x02, 0x01, 0x00});
    body.writeBytes(RSA_ALGORITHM);
    body.write(0x04);
    body.writeBytes(length(pkcs1.length));
    body.writeBytes(pkcs1);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x30);
    out.writeBytes(length(body.size()));
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }

  /** A DER length. */
  private static byte[] length(int n) {
    if (n < 0x80) {
      return new byte[] {(byte) n};
    }
    if (n < 0x100) {
      return new byte[] {(byte) 0x81, (byte) n};
    }
    if (n < 0x10000) {
      return new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n};
    }
    return new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
  }
}
