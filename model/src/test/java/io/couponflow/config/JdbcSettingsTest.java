package io.couponflow.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JdbcSettingsTest {
  private static final String URL = "jdbc:mysql://127.0.0.1:3306/couponflow";

  @Test
  void from_emptyEnvironment_givesTheDocumentedDefaults() {
    JdbcSettings s = JdbcSettings.from(Env.of(Map.of()));

    assertThat(s.url()).isEqualTo(URL);
    assertThat(s.user()).isEqualTo("root");
    assertThat(s.password()).isEmpty();
    assertThat(s.poolSize()).isEqualTo(4);
    assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void constructor_refusesWhatFromRefuses_namingTheVariable() {
    assertThatThrownBy(() -> new JdbcSettings(URL, "root", "", 0, Duration.ofSeconds(3)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_JDBC_POOL_SIZE: 0 is out of range (expected: 1..256)");
    assertThatThrownBy(() -> new JdbcSettings(URL, "root", "", 4, Duration.ofMillis(100)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_JDBC_TIMEOUT: 100ms is out of range (expected: 250ms..5m)");
    assertThatThrownBy(() -> JdbcSettings.from(Env.of(Map.of("COUPON_JDBC_POOL_SIZE", "257"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_JDBC_POOL_SIZE: 257 is out of range (expected: 1..256)");
    assertThatThrownBy(() -> JdbcSettings.from(Env.of(Map.of("COUPON_JDBC_TIMEOUT", "6m"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_JDBC_TIMEOUT: 6m is out of range (expected: 250ms..5m)");
    assertThatThrownBy(
            () -> new JdbcSettings("jdbc:postgresql://h/db", "root", "", 4, Duration.ofSeconds(3)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(
            "COUPON_JDBC_URL: 'jdbc:postgresql://h/db' is not a MySQL JDBC URL");
  }
}
