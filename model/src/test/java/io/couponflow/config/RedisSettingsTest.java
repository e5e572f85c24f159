package io.couponflow.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisSettingsTest {

  @Test
  void from_commaSeparatedUris_selectCluster() {
    RedisSettings settings =
        RedisSettings.from(
            Env.of(Map.of("COUPON_REDIS_URI", "redis://127.0.0.1:7001, redis://127.0.0.1:7002")));

    assertThat(settings.cluster()).isTrue();
    assertThat(settings.uris()).hasSize(2);
  }

  @Test
  void from_emptyEntry_evenATrailingOne_isRefused() {
    for (String raw :
        new String[] {
          "redis://127.0.0.1:6379,", ",redis://127.0.0.1:6379", "redis://h:1,,redis://h:2"
        }) {
      assertThatThrownBy(() -> RedisSettings.from(Env.of(Map.of("COUPON_REDIS_URI", raw))))
          .isInstanceOf(ConfigException.class)
          .hasMessage("COUPON_REDIS_URI: '" + raw + "' has an empty entry");
    }
  }

  @Test
  void from_badPrefix_namesTheVariable() {
    assertThatThrownBy(() -> RedisSettings.from(Env.of(Map.of("COUPON_REDIS_PREFIX", "A:B"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_REDIS_PREFIX: 'A:B'");
  }

  @Test
  void constructor_refusesWhatFromRefuses_namingTheVariable() {
    RedisSettings d = RedisSettings.from(Env.of(Map.of()));

    assertThatThrownBy(
            () -> new RedisSettings(d.uris(), d.prefix(), Duration.ofMillis(5), d.repairSettle()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_REDIS_TIMEOUT: 5ms is out of range (expected: 10ms..1m)");
    assertThatThrownBy(() -> d.withRepairSettle(Duration.ofMinutes(11)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_REPAIR_SETTLE: 11m is out of range (expected: 0ms..10m)");
    assertThatThrownBy(() -> RedisSettings.from(Env.of(Map.of("COUPON_REDIS_TIMEOUT", "2m"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_REDIS_TIMEOUT: 2m is out of range (expected: 10ms..1m)");
    assertThatThrownBy(() -> d.withPrefix("A:B"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_REDIS_PREFIX: 'A:B'");
  }
}
