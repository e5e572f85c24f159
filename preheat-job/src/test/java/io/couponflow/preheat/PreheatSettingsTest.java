package io.couponflow.preheat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PreheatSettingsTest {
  @Test
  void from_emptyEnvironment_givesTheDocumentedDefaults() {
    PreheatSettings s = PreheatSettings.from(Env.of(Map.of()));

    assertThat(s.batch()).isEqualTo(1000);
    assertThat(s.attempts()).isEqualTo(3);
    assertThat(s.retryWait()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.snapshot().toString()).isEqualTo(PreheatSettings.DEFAULT_SNAPSHOT);
  }

  @Test
  void constructor_refusesWhatFromRefuses_namingTheVariable() {
    PreheatSettings d = PreheatSettings.from(Env.of(Map.of()));

    assertThatThrownBy(
            () ->
                new PreheatSettings(
                    d.jdbc(),
                    d.redis(),
                    d.snapshot(),
                    d.batch(),
                    0,
                    d.retryWait(),
                    d.idempotencyRetention()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_PREHEAT_ATTEMPTS: 0 is out of range (expected: 1..10)");
    assertThatThrownBy(
            () -> PreheatSettings.from(Env.of(Map.of("COUPON_PREHEAT_RETRY_WAIT", "2m"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_PREHEAT_RETRY_WAIT: 2m is out of range (expected: 0ms..1m)");
  }
}
