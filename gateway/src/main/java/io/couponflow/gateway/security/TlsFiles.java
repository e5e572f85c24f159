package io.couponflow.gateway.security;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a server's TLS material is: PEM files, read at start and again whenever they change.
 *
 * @param certificateFile the certificate chain, the server's own certificate first
 * @param keyFile its private key (PKCS#8 {@code BEGIN PRIVATE KEY}, or PKCS#1 {@code BEGIN RSA
 *     PRIVATE KEY}), unencrypted
 * @param clientCaFile the CAs a client certificate must be signed by; empty when clients need none
 * @param certificateVariable the variable {@code certificateFile} came from, for messages
 * @param keyVariable likewise for {@code keyFile}
 * @param clientCaVariable likewise for {@code clientCaFile}; empty when there is none to name
 */
public record TlsFiles(
    Path certificateFile,
    Path keyFile,
    Optional<Path> clientCaFile,
    String certificateVariable,
    String keyVariable,
    String clientCaVariable) {

  public TlsFiles {
    Objects.requireNonNull(certificateFile, certificateVariable);
    Objects.requireNonNull(keyFile, keyVariable);
    Objects.requireNonNull(clientCaFile, clientCaVariable);
  }

  /** Whether clients must present a certificate a CA of {@link #clientCaFile} signed (mTLS). */
  public boolean requiresClientCertificates() {
    return clientCaFile.isPresent();
  }

  /**
   * The certificate and key files the two variables name; empty when neither is set.
   *
   * @throws ConfigException naming both variables when only one is set
   */
  static Optional<TlsFiles> read(
      Env env, String certificateVariable, String keyVariable, String clientCaVariable) {
    Optional<Path> certificate = path(env, certificateVariable);
    Optional<Path> key = path(env, keyVariable);
    Optional<Path> clientCa =
        clientCaVariable.isEmpty() ? Optional.empty() : path(env, clientCaVariable);
    if (certificate.isPresent() != key.isPresent()) {
      throw new ConfigException(
          (certificate.isPresent() ? keyVariable : certificateVariable)
              + ": unset, but "
              + (certificate.isPresent() ? certificateVariable : keyVariable)
              + " is set (expected: "
              + certificateVariable
              + " and "
              + keyVariable
              + " set together, or neither)");
    }
    if (certificate.isEmpty()) {
      if (clientCa.isPresent()) {
        throw new ConfigException(
            clientCaVariable
                + ": client certificates need TLS (expected: "
                + certificateVariable
                + " and "
                + keyVariable
                + " set too)");
      }
      return Optional.empty();
    }
    return Optional.of(
        new TlsFiles(
            certificate.get(),
            key.get(),
            clientCa,
            certificateVariable,
            keyVariable,
            clientCaVariable));
  }

  private static Optional<Path> path(Env env, String variable) {
    String raw = env.string(variable, "");
    if (raw.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Path.of(raw));
    } catch (InvalidPathException e) {
      throw new ConfigException(variable + ": '" + raw + "' is not a file path");
    }
  }
}
