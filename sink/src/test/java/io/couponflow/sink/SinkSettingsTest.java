package io.couponflow.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SinkSettingsTest {

  @Test
  void from_emptyEnvironment_givesTheDocumentedDefaults() {
    SinkSettings s = SinkSettings.defaults();

    assertThat(s.queueCapacity()).isEqualTo(65_536);
    assertThat(s.batchSize()).isEqualTo(500);
    assertThat(s.linger()).isEqualTo(Duration.ofMillis(2));
    assertThat(s.sweepInterval()).isEqualTo(Duration.ofSeconds(2));
    assertThat(s.sweepMinAge()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.sweepScanInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(s.breakerFailureRate()).isEqualTo(50);
    assertThat(s.breakerWindow()).isEqualTo(10);
    assertThat(s.breakerMinimumCalls()).isEqualTo(3);
    assertThat(s.breakerOpenFor()).isEqualTo(Duration.ofSeconds(5));
    assertThat(s.orphanReversalAge()).isEqualTo(Duration.ofMinutes(10));
  }

  @Test
  void from_breakerSettings_areRead() {
    SinkSettings s =
        SinkSettings.from(
            Env.of(
                Map.of(
                    "COUPON_SINK_BREAKER_FAILURE_RATE", "80",
                    "COUPON_SINK_BREAKER_WINDOW", "2",
                    "COUPON_SINK_BREAKER_OPEN", "750ms",
                    "COUPON_SINK_ORPHAN_REVERSAL_AGE", "1h")));

    assertThat(s.breakerFailureRate()).isEqualTo(80);
    assertThat(s.breakerWindow()).isEqualTo(2);
    assertThat(s.breakerMinimumCalls()).isEqualTo(2);
    assertThat(s.breakerOpenFor()).isEqualTo(Duration.ofMillis(750));
    assertThat(s.orphanReversalAge()).isEqualTo(Duration.ofHours(1));
  }

  @Test
  void from_badValues_nameTheVariable() {
    assertThatThrownBy(
            () -> SinkSettings.from(Env.of(Map.of("COUPON_SINK_BREAKER_FAILURE_RATE", "0"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_SINK_BREAKER_FAILURE_RATE: 0 is out of range");
    assertThatThrownBy(() -> SinkSettings.from(Env.of(Map.of("COUPON_SINK_BREAKER_OPEN", "soon"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_SINK_BREAKER_OPEN: 'soon' is not a duration");
    assertThatThrownBy(
            () -> SinkSettings.from(Env.of(Map.of("COUPON_SINK_ORPHAN_REVERSAL_AGE", "-5s"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_SINK_ORPHAN_REVERSAL_AGE: '-5s' is not a duration");
  }
}
