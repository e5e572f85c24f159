package io.couponflow.gateway.security;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may reach the API, and over what: the bind address, TLS and client certificates, the roles
 * they carry, and TLS on the management port.
 *
 * <p>Secure by default: without TLS the API binds to loopback ({@code 127.0.0.1}); with TLS to
 * every address ({@code 0.0.0.0}). Plain text on any other address needs
 * COUPON_HTTP_ALLOW_PLAINTEXT ({@link #servesPlaintextBeyondLoopback}, which the gateway then logs
 * at WARN).
 *
 * @param httpHost the API's bind address (COUPON_HTTP_HOST)
 * @param allowPlaintext whether the API may serve plain text off loopback
 *     (COUPON_HTTP_ALLOW_PLAINTEXT)
 * @param apiTls the API's certificate, key and client CAs (COUPON_HTTP_TLS_CERT_FILE,
 *     COUPON_HTTP_TLS_KEY_FILE, COUPON_HTTP_TLS_CLIENT_CA_FILE); empty: plain text
 * @param clientRoles the roles of client certificates (COUPON_HTTP_CLIENT_ROLES), with mTLS only
 * @param managementTls the management port's certificate and key (COUPON_MANAGEMENT_TLS_CERT_FILE,
 *     COUPON_MANAGEMENT_TLS_KEY_FILE); empty: plain text. It never asks for client certificates
 */
public record SecuritySettings(
    String httpHost,
    boolean allowPlaintext,
    Optional<TlsFiles> apiTls,
    ClientRoles clientRoles,
    Optional<TlsFiles> managementTls) {

  public static final String HTTP_HOST = "COUPON_HTTP_HOST";
  public static final String ALLOW_PLAINTEXT = "COUPON_HTTP_ALLOW_PLAINTEXT";
  public static final String TLS_CERT_FILE = "COUPON_HTTP_TLS_CERT_FILE";
  public static final String TLS_KEY_FILE = "COUPON_HTTP_TLS_KEY_FILE";
  public static final String TLS_CLIENT_CA_FILE = "COUPON_HTTP_TLS_CLIENT_CA_FILE";
  public static final String MANAGEMENT_TLS_CERT_FILE = "COUPON_MANAGEMENT_TLS_CERT_FILE";
  public static final String MANAGEMENT_TLS_KEY_FILE = "COUPON_MANAGEMENT_TLS_KEY_FILE";

  /** Refuses plain text off loopback unless allowed, and roles without client certificates. */
  public SecuritySettings {
    Objects.requireNonNull(httpHost, HTTP_HOST);
    Objects.requireNonNull(apiTls, "apiTls");
    Objects.requireNonNull(clientRoles, ClientRoles.VARIABLE);
    Objects.requireNonNull(managementTls, "managementTls");
    if (apiTls.isEmpty() && !allowPlaintext && !isLoopback(httpHost)) {
      throw new ConfigException(
          HTTP_HOST
              + ": "
              + httpHost
              + " is not a loopback address, and the API has no TLS ("
              + TLS_CERT_FILE
              + " / "
              + TLS_KEY_FILE
              + " unset): set them, or set "
              + ALLOW_PLAINTEXT
              + "=true to serve plain text there (for TLS terminated in front of the gateway)");
    }
    if (!clientRoles.isEmpty() && !mutualTls(apiTls)) {
      throw new ConfigException(
          ClientRoles.VARIABLE
              + ": roles come from client certificates, but "
              + TLS_CLIENT_CA_FILE
              + " is unset (without mTLS every caller has every role)");
    }
  }

  public static SecuritySettings from(Env env) {
    Optional<TlsFiles> apiTls = TlsFiles.read(env, TLS_CERT_FILE, TLS_KEY_FILE, TLS_CLIENT_CA_FILE);
    return new SecuritySettings(
        env.host(HTTP_HOST, apiTls.isPresent() ? "0.0.0.0" : "127.0.0.1"),
        env.bool(ALLOW_PLAINTEXT, false),
        apiTls,
        ClientRoles.parse(env.string(ClientRoles.VARIABLE, "")),
        TlsFiles.read(env, MANAGEMENT_TLS_CERT_FILE, MANAGEMENT_TLS_KEY_FILE, ""));
  }

  /** Whether clients must present a certificate (mTLS), so that roles apply. */
  public boolean mutualTls() {
    return mutualTls(apiTls);
  }

  /**
   * Whether the API serves plain text on an address other than loopback, as allowed by
   * COUPON_HTTP_ALLOW_PLAINTEXT: worth a WARN at start.
   */
  public boolean servesPlaintextBeyondLoopback() {
    return apiTls.isEmpty() && !isLoopback(httpHost);
  }

  private static boolean mutualTls(Optional<TlsFiles> tls) {
    return tls.map(TlsFiles::requiresClientCertificates).orElse(false);
  }

  private static boolean isLoopback(String host) {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      throw new ConfigException(HTTP_HOST + ": '" + host + "' does not resolve");
    }
  }
}
