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

  @Test
  void from_orphanAgeNoLongerThanTheSweeperTakesToStoreAnAccept_isRefused() {
    assertThatThrownBy(
            () -> SinkSettings.from(Env.of(Map.of("COUPON_SINK_ORPHAN_REVERSAL_AGE", "0s"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COUPON_SINK_ORPHAN_REVERSAL_AGE: 0ms is out of range (expected: more than"
                + " COUPON_SWEEP_MIN_AGE + COUPON_SWEEP_SCAN_INTERVAL + COUPON_SWEEP_INTERVAL ="
                + " 37s, at most 30d)");
    assertThatThrownBy(
            () ->
                SinkSettings.from(
                    Env.of(
                        Map.of(
                            "COUPON_SWEEP_SCAN_INTERVAL", "1h",
                            "COUPON_SINK_ORPHAN_REVERSAL_AGE", "1h"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_SINK_ORPHAN_REVERSAL_AGE: 1h is out of range");
    assertThat(
            SinkSettings.from(Env.of(Map.of("COUPON_SINK_ORPHAN_REVERSAL_AGE", "38s")))
                .orphanReversalAge())
        .isEqualTo(Duration.ofSeconds(38));
  }

  @Test
  void constructor_refusesWhatFromRefuses_namingTheVariable() {
    SinkSettings d = SinkSettings.defaults();

    assertThatThrownBy(
            () ->
                new SinkSettings(
                    d.queueCapacity(),
                    d.batchSize(),
                    d.linger(),
                    d.sweepInterval(),
                    d.sweepMinAge(),
                    d.sweepScanInterval(),
                    d.breakerFailureRate(),
                    d.breakerWindow(),
                    d.breakerOpenFor(),
                    Duration.ZERO))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_SINK_ORPHAN_REVERSAL_AGE: 0ms is out of range");
    assertThatThrownBy(
            () ->
                new SinkSettings(
                    0,
                    d.batchSize(),
                    d.linger(),
                    d.sweepInterval(),
                    d.sweepMinAge(),
                    d.sweepScanInterval(),
                    d.breakerFailureRate(),
                    d.breakerWindow(),
                    d.breakerOpenFor(),
                    d.orphanReversalAge()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_QUEUE_CAPACITY: 0 is out of range (expected: 2..16777216)");
    assertThatThrownBy(() -> SinkSettings.from(Env.of(Map.of("COUPON_SINK_BATCH_SIZE", "0"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_SINK_BATCH_SIZE: 0 is out of range (expected: 1..10000)");
  }
}
