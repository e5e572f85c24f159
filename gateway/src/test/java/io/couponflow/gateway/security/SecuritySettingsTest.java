package io.couponflow.gateway.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SecuritySettingsTest {
  private static final Map<String, String> TLS =
      Map.of(
          "COUPON_HTTP_TLS_CERT_FILE", "/etc/couponflow/tls/tls.crt",
          "COUPON_HTTP_TLS_KEY_FILE", "/etc/couponflow/tls/tls.key");

  private static SecuritySettings from(Map<String, String> env) {
    return SecuritySettings.from(Env.of(env));
  }

  private static Map<String, String> with(Map<String, String> base, String... more) {
    java.util.Map<String, String> all = new java.util.HashMap<>(base);
    for (int i = 0; i < more.length; i += 2) {
      all.put(more[i], more[i + 1]);
    }
    return all;
  }

  @Test
  void withoutTls_theApiBindsToLoopback_andEveryCallerHasEveryRole() {
    SecuritySettings s = from(Map.of());

    assertThat(s.httpHost()).isEqualTo("127.0.0.1");
    assertThat(s.apiTls()).isEmpty();
    assertThat(s.mutualTls()).isFalse();
    assertThat(s.servesPlaintextBeyondLoopback()).isFalse();
    assertThat(s.managementTls()).isEmpty();
    assertThat(Caller.ANYONE.roles()).containsExactlyInAnyOrder(Role.values());
  }

  @Test
  void withTls_theApiBindsToEveryAddress() {
    SecuritySettings s = from(TLS);

    assertThat(s.httpHost()).isEqualTo("0.0.0.0");
    assertThat(s.apiTls()).isPresent();
    assertThat(s.apiTls().get().certificateFile())
        .isEqualTo(Path.of("/etc/couponflow/tls/tls.crt"));
    assertThat(s.mutualTls()).isFalse();
  }

  @Test
  void plaintextBeyondLoopback_isRefusedNamingBothVariables() {
    assertThatThrownBy(() -> from(Map.of("COUPON_HTTP_HOST", "0.0.0.0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_HTTP_HOST: 0.0.0.0 is not a loopback address")
        .hasMessageContaining("COUPON_HTTP_ALLOW_PLAINTEXT=true");
    assertThatThrownBy(
            () ->
                from(Map.of("COUPON_HTTP_HOST", "0.0.0.0", "COUPON_HTTP_ALLOW_PLAINTEXT", "false")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("COUPON_HTTP_ALLOW_PLAINTEXT");
  }

  @Test
  void plaintextBeyondLoopback_isServedWhenAllowed() {
    SecuritySettings s =
        from(Map.of("COUPON_HTTP_HOST", "0.0.0.0", "COUPON_HTTP_ALLOW_PLAINTEXT", "true"));

    assertThat(s.httpHost()).isEqualTo("0.0.0.0");
    assertThat(s.servesPlaintextBeyondLoopback()).isTrue();
  }

  @Test
  void loopbackAddresses_needNoPermission() {
    assertThat(from(Map.of("COUPON_HTTP_HOST", "localhost")).httpHost()).isEqualTo("localhost");
    assertThat(from(Map.of("COUPON_HTTP_HOST", "127.0.0.2")).servesPlaintextBeyondLoopback())
        .isFalse();
    assertThat(from(Map.of("COUPON_HTTP_HOST", "::1")).servesPlaintextBeyondLoopback()).isFalse();
  }

  @Test
  void oneTlsFileAlone_isRefusedNamingBoth() {
    assertThatThrownBy(() -> from(Map.of("COUPON_HTTP_TLS_CERT_FILE", "/tmp/tls.crt")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COUPON_HTTP_TLS_KEY_FILE: unset, but COUPON_HTTP_TLS_CERT_FILE is set (expected:"
                + " COUPON_HTTP_TLS_CERT_FILE and COUPON_HTTP_TLS_KEY_FILE set together, or"
                + " neither)");
    assertThatThrownBy(() -> from(Map.of("COUPON_HTTP_TLS_KEY_FILE", "/tmp/tls.key")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_HTTP_TLS_CERT_FILE: unset, but COUPON_HTTP_TLS_KEY_FILE")
        .hasMessageContaining("COUPON_HTTP_TLS_KEY_FILE");
    assertThatThrownBy(() -> from(Map.of("COUPON_MANAGEMENT_TLS_KEY_FILE", "/tmp/m.key")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_MANAGEMENT_TLS_CERT_FILE:")
        .hasMessageContaining("COUPON_MANAGEMENT_TLS_KEY_FILE");
  }

  @Test
  void clientCa_turnsOnMutualTls_andNeedsTheServerCertificate() {
    SecuritySettings s =
        from(
            with(
                TLS,
                "COUPON_HTTP_TLS_CLIENT_CA_FILE",
                "/etc/ca.pem",
                "COUPON_HTTP_CLIENT_ROLES",
                "checkout=redeem,read"));
    assertThat(s.mutualTls()).isTrue();
    assertThat(s.clientRoles().names()).containsExactly("checkout");

    assertThatThrownBy(() -> from(Map.of("COUPON_HTTP_TLS_CLIENT_CA_FILE", "/etc/ca.pem")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_HTTP_TLS_CLIENT_CA_FILE: client certificates need TLS");
  }

  @Test
  void rolesWithoutClientCertificates_areRefused() {
    assertThatThrownBy(() -> from(with(TLS, "COUPON_HTTP_CLIENT_ROLES", "checkout=redeem")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_HTTP_CLIENT_ROLES:")
        .hasMessageContaining("COUPON_HTTP_TLS_CLIENT_CA_FILE");
  }

  @Test
  void badRoles_areRefusedNamingTheVariable() {
    for (String bad :
        new String[] {
          "checkout",
          "checkout=",
          "checkout=redeem,",
          "checkout=Redeem",
          "checkout=admin",
          "=redeem",
          "checkout=redeem;;ops=read",
          "checkout=redeem;",
          "checkout=redeem;CHECKOUT=read"
        }) {
      assertThatThrownBy(() -> ClientRoles.parse(bad))
          .as(bad)
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("COUPON_HTTP_CLIENT_ROLES: ");
    }
  }

  @Test
  void roles_parse_withSpacesAroundWords() {
    ClientRoles roles =
        ClientRoles.parse(" checkout = redeem , read ; spiffe://shop/ops=reverse,read,redeem");

    assertThat(roles.names()).containsExactly("checkout", "spiffe://shop/ops");
    assertThat(roles.toString())
        .isEqualTo("checkout=redeem,read;spiffe://shop/ops=redeem,reverse,read");
    assertThat(ClientRoles.parse("").isEmpty()).isTrue();
  }
}
