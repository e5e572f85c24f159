package io.couponflow.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EnvTest {
  private static final Duration MIN = Duration.ofMillis(1);
  private static final Duration MAX = Duration.ofDays(30);

  private static Env env(String name, String value) {
    return Env.of(Map.of(name, value));
  }

  @Test
  void string_unsetOrBlank_givesDefault_elseTrimmedValue() {
    assertThat(Env.of(Map.of()).string("COUPON_X", "d")).isEqualTo("d");
    assertThat(env("COUPON_X", "  ").string("COUPON_X", "d")).isEqualTo("d");
    assertThat(env("COUPON_X", " v ").string("COUPON_X", "d")).isEqualTo("v");
  }

  @Test
  void secret_keepsEmptyAndUntrimmedValues() {
    assertThat(Env.of(Map.of()).secret("COUPON_JDBC_PASSWORD")).isEmpty();
    assertThat(env("COUPON_JDBC_PASSWORD", "").secret("COUPON_JDBC_PASSWORD")).isEmpty();
    assertThat(env("COUPON_JDBC_PASSWORD", " p w ").secret("COUPON_JDBC_PASSWORD"))
        .isEqualTo(" p w ");
  }

  @Test
  void integer_inRange_isRead_withUnderscoresAndSpaces() {
    assertThat(env("COUPON_N", "65_536").integer("COUPON_N", 1, 1, 1 << 20)).isEqualTo(65_536);
    assertThat(env("COUPON_N", " 7 ").integer("COUPON_N", 1, 1, 10)).isEqualTo(7);
    assertThat(Env.of(Map.of()).integer("COUPON_N", 3, 1, 10)).isEqualTo(3);
  }

  @Test
  void integer_notANumber_namesTheVariable() {
    assertThatThrownBy(
            () -> env("COUPON_QUEUE_CAPACITY", "lots").integer("COUPON_QUEUE_CAPACITY", 1, 1, 10))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_QUEUE_CAPACITY: 'lots' is not a whole number (expected: 1..10)");
    assertThatThrownBy(() -> env("COUPON_N", "1.5").longValue("COUPON_N", 1, 1, 10))
        .hasMessage("COUPON_N: '1.5' is not a whole number (expected: 1..10)");
  }

  @Test
  void integer_outOfRange_namesTheVariableAndRange() {
    assertThatThrownBy(() -> env("COUPON_N", "0").integer("COUPON_N", 1, 1, 10))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_N: 0 is out of range (expected: 1..10)");
    assertThatThrownBy(() -> env("COUPON_N", "11").integer("COUPON_N", 1, 1, 10))
        .hasMessage("COUPON_N: 11 is out of range (expected: 1..10)");
    assertThatThrownBy(
            () -> env("COUPON_N", "99999999999999999999").longValue("COUPON_N", 1, 1, 10))
        .hasMessage("COUPON_N: '99999999999999999999' is not a whole number (expected: 1..10)");
  }

  @Test
  void decimal_readsAndRefuses() {
    assertThat(env("COUPON_R", "0.5").decimal("COUPON_R", 0.1, 0, 1)).isEqualTo(0.5);
    assertThatThrownBy(() -> env("COUPON_R", "half").decimal("COUPON_R", 0.1, 0, 1))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_R: 'half' is not a number (expected: 0.0..1.0)");
    assertThatThrownBy(() -> env("COUPON_R", "NaN").decimal("COUPON_R", 0.1, 0, 1))
        .hasMessage("COUPON_R: NaN is out of range (expected: 0.0..1.0)");
    assertThatThrownBy(() -> env("COUPON_R", "1.5").decimal("COUPON_R", 0.1, 0, 1))
        .hasMessage("COUPON_R: 1.5 is out of range (expected: 0.0..1.0)");
  }

  @ParameterizedTest
  @CsvSource({
    "true, true",
    "YES, true",
    "on, true",
    "1, true",
    "false, false",
    "No, false",
    "off, false",
    "0, false"
  })
  void bool_acceptsTheUsualSpellings(String raw, boolean expected) {
    assertThat(env("COUPON_B", raw).bool("COUPON_B", !expected)).isEqualTo(expected);
  }

  @Test
  void bool_otherText_namesTheVariable() {
    assertThat(Env.of(Map.of()).bool("COUPON_B", true)).isTrue();
    assertThatThrownBy(() -> env("COUPON_B", "maybe").bool("COUPON_B", true))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_B: 'maybe' is not a boolean (expected: true|false)");
  }

  @ParameterizedTest
  @CsvSource({
    "250ms, PT0.25S",
    "5s, PT5S",
    "5 S, PT5S",
    "10m, PT10M",
    "24h, PT24H",
    "2d, PT48H",
    "PT5S, PT5S",
    "pt1m30s, PT1M30S"
  })
  void duration_unitsAndIso_areRead(String raw, String expected) {
    assertThat(env("COUPON_D", raw).duration("COUPON_D", Duration.ofSeconds(1), MIN, MAX))
        .isEqualTo(Duration.parse(expected));
  }

  @ParameterizedTest
  @ValueSource(strings = {"5", "5 seconds", "-5s", "1.5s", "PT-5S", "P", "s", "5w"})
  void duration_notADuration_namesTheVariable(String raw) {
    assertThatThrownBy(
            () ->
                env("COUPON_SWEEP_INTERVAL", raw).duration("COUPON_SWEEP_INTERVAL", MIN, MIN, MAX))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COUPON_SWEEP_INTERVAL: '"
                + raw
                + "' is not a duration (expected e.g. 250ms, 5s, 10m, 24h, PT5S)");
  }

  @Test
  void duration_outOfRange_namesTheVariableAndRange() {
    assertThatThrownBy(
            () ->
                env("COUPON_IDEMPOTENCY_RETENTION", "1h")
                    .duration(
                        "COUPON_IDEMPOTENCY_RETENTION",
                        Duration.ofHours(24),
                        Duration.ofHours(24),
                        Duration.ofDays(30)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_IDEMPOTENCY_RETENTION: 1h is out of range (expected: 1d..30d)");
    assertThat(Env.of(Map.of()).duration("COUPON_D", Duration.ofSeconds(2), MIN, MAX))
        .isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void require_outsideTheRange_refusesInTheWordsOfARead() {
    assertThat(Env.require("COUPON_N", 5, 1, 10)).isEqualTo(5);
    assertThatThrownBy(() -> Env.require("COUPON_N", 0, 1, 10))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_N: 0 is out of range (expected: 1..10)");
    assertThat(Env.require("COUPON_D", Duration.ofSeconds(1), MIN, MAX))
        .isEqualTo(Duration.ofSeconds(1));
    assertThatThrownBy(
            () -> Env.require("COUPON_D", Duration.ZERO, Duration.ofSeconds(1), Duration.ofDays(1)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_D: 0ms is out of range (expected: 1s..1d)");
  }

  @Test
  void unboundedReads_parseOnly() {
    assertThat(env("COUPON_N", "-7").integer("COUPON_N", 1)).isEqualTo(-7);
    assertThatThrownBy(() -> env("COUPON_N", "x").integer("COUPON_N", 1))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_N: 'x' is not a whole number");
    assertThat(env("COUPON_D", "0s").duration("COUPON_D", MAX)).isEqualTo(Duration.ZERO);
    assertThat(Env.of(Map.of()).duration("COUPON_D", MAX)).isEqualTo(MAX);
  }

  @Test
  void human_writesTheLargestWholeUnit() {
    assertThat(Env.human(Duration.ofMillis(250))).isEqualTo("250ms");
    assertThat(Env.human(Duration.ofSeconds(5))).isEqualTo("5s");
    assertThat(Env.human(Duration.ofMinutes(10))).isEqualTo("10m");
    assertThat(Env.human(Duration.ofHours(24))).isEqualTo("1d");
    assertThat(Env.human(Duration.ofHours(36))).isEqualTo("36h");
    assertThat(Env.human(Duration.ofDays(2))).isEqualTo("2d");
    assertThat(Env.human(Duration.ZERO)).isEqualTo("0ms");
    assertThat(Env.human(Duration.ofMillis(1500))).isEqualTo("1500ms");
  }

  @Test
  void uri_allowedScheme_isRead_otherwiseNamesTheVariable() {
    assertThat(env("COUPON_REDIS_URI", "redis://h:1").uri("COUPON_REDIS_URI", "x", "redis"))
        .isEqualTo(URI.create("redis://h:1"));
    assertThat(Env.of(Map.of()).uri("COUPON_REDIS_URI", "redis://d:2", "redis", "rediss"))
        .isEqualTo(URI.create("redis://d:2"));
    assertThatThrownBy(
            () ->
                env("COUPON_REDIS_URI", "http://h:1")
                    .uri("COUPON_REDIS_URI", "x", "redis", "rediss"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_REDIS_URI: 'http://h:1' has scheme 'http' (expected: redis|rediss)");
    assertThatThrownBy(
            () -> env("COUPON_REDIS_URI", "redis://h:1 2").uri("COUPON_REDIS_URI", "x", "redis"))
        .hasMessage("COUPON_REDIS_URI: 'redis://h:1 2' is not a URI");
  }

  @Test
  void logLevel_knownLevelInAnyCase_isRead_otherwiseNamesTheVariable() {
    assertThat(env("COUPON_LOG_LEVEL", "debug").logLevel("INFO")).isEqualTo("DEBUG");
    assertThat(Env.of(Map.of()).logLevel("WARN")).isEqualTo("WARN");
    assertThatThrownBy(() -> env("COUPON_LOG_LEVEL", "LOUD").logLevel("INFO"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COUPON_LOG_LEVEL: 'LOUD' (expected one of: TRACE, DEBUG, INFO, WARN, ERROR, OFF)");
  }

  @Test
  void host_unresolvable_namesTheVariable() {
    assertThat(env("COUPON_MANAGEMENT_HOST", "127.0.0.1").host("COUPON_MANAGEMENT_HOST", "x"))
        .isEqualTo("127.0.0.1");
    assertThatThrownBy(
            () ->
                env("COUPON_MANAGEMENT_HOST", "not a host")
                    .host("COUPON_MANAGEMENT_HOST", "127.0.0.1"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COUPON_MANAGEMENT_HOST: 'not a host' is not a host name or address that resolves");
  }
}
