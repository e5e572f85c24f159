package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import io.couponflow.gateway.resilience.BreakerSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayConfigTest {
  @Test
  void defaults_matchTheReadme() {
    GatewayConfig c = GatewayConfig.from(Env.of(Map.of()));

    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.managementHost()).isEqualTo("127.0.0.1");
    assertThat(c.managementPort()).isEqualTo(8081);
    assertThat(c.ioThreads())
        .isEqualTo(Math.max(1, Runtime.getRuntime().availableProcessors() / 2));
    assertThat(c.soldOutHint()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.breakers().failureRatePercent()).isEqualTo(50);
    assertThat(c.breakers().window()).isEqualTo(20);
    assertThat(c.breakers().minimumCalls()).isEqualTo(10);
    assertThat(c.breakers().openFor()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void badValues_nameTheirVariable() {
    assertThatThrownBy(
            () -> GatewayConfig.from(Env.of(Map.of("COUPON_CACHE_SOLD_OUT_HINT", "soon"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_CACHE_SOLD_OUT_HINT:");
    assertThatThrownBy(() -> GatewayConfig.from(Env.of(Map.of("COUPON_BREAKER_FAILURE_RATE", "0"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_BREAKER_FAILURE_RATE:");
    assertThatThrownBy(
            () ->
                GatewayConfig.from(
                    Env.of(Map.of("COUPON_BREAKER_WINDOW", "5", "COUPON_BREAKER_MIN_CALLS", "6"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_BREAKER_MIN_CALLS:");
    assertThatThrownBy(() -> GatewayConfig.from(Env.of(Map.of("COUPON_BREAKER_OPEN_FOR", "1ms"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("COUPON_BREAKER_OPEN_FOR:");
  }

  @Test
  void apiAndManagementOnOnePort_areRefusedNamingBoth() {
    assertThatThrownBy(
            () ->
                GatewayConfig.from(
                    Env.of(Map.of("COUPON_HTTP_PORT", "9000", "COUPON_MANAGEMENT_PORT", "9000"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "COUPON_MANAGEMENT_PORT: 9000 is COUPON_HTTP_PORT too (expected: a port of its own,"
                + " or 0 for any free one)");
    assertThat(
            GatewayConfig.from(
                    Env.of(Map.of("COUPON_HTTP_PORT", "0", "COUPON_MANAGEMENT_PORT", "0")))
                .httpPort())
        .isZero();
  }

  @Test
  void durability_isRedisByDefault_mysqlOnRequest_andNothingElse() {
    assertThat(GatewayConfig.from(Env.of(Map.of())).durability())
        .isEqualTo(io.couponflow.gateway.redeem.Durability.REDIS);
    assertThat(GatewayConfig.from(Env.of(Map.of("COUPON_DURABILITY", "mysql"))).durability())
        .isEqualTo(io.couponflow.gateway.redeem.Durability.MYSQL);
    assertThatThrownBy(() -> GatewayConfig.from(Env.of(Map.of("COUPON_DURABILITY", "disk"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("COUPON_DURABILITY");
  }

  @Test
  void constructor_refusesWhatFromRefuses_namingTheVariable() {
    GatewayConfig d = GatewayConfig.from(Env.of(Map.of()));

    assertThatThrownBy(
            () ->
                new GatewayConfig(
                    d.httpPort(),
                    d.managementHost(),
                    d.managementPort(),
                    0,
                    d.maxBodyBytes(),
                    d.maxLineBytes(),
                    d.maxHeaderBytes(),
                    d.idleTimeout(),
                    d.requestTimeout(),
                    d.maxInFlight(),
                    d.idempotencyRetention(),
                    d.cacheRefresh(),
                    d.negativeCacheTtl(),
                    d.soldOutHint(),
                    d.shutdownGrace(),
                    d.repairWait(),
                    d.durability(),
                    d.durabilityWait(),
                    d.breakers(),
                    d.redis(),
                    d.jdbc(),
                    d.sink(),
                    d.security()))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_HTTP_IO_THREADS: 0 is out of range (expected: 1..64)");
    assertThatThrownBy(() -> new BreakerSettings(0, 20, 10, Duration.ofSeconds(2)))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_BREAKER_FAILURE_RATE: 0 is out of range (expected: 1..100)");
    assertThatThrownBy(
            () -> GatewayConfig.from(Env.of(Map.of("COUPON_IDEMPOTENCY_RETENTION", "1h"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_IDEMPOTENCY_RETENTION: 1h is out of range (expected: 1d..3650d)");
    assertThatThrownBy(() -> GatewayConfig.from(Env.of(Map.of("COUPON_REPAIR_WAIT", "31s"))))
        .isInstanceOf(ConfigException.class)
        .hasMessage("COUPON_REPAIR_WAIT: 31s is out of range (expected: 0ms..30s)");
  }

  @Test
  void smallWindow_lowersTheDefaultMinimumCalls() {
    GatewayConfig c = GatewayConfig.from(Env.of(Map.of("COUPON_BREAKER_WINDOW", "4")));

    assertThat(c.breakers().minimumCalls()).isEqualTo(4);
  }
}
