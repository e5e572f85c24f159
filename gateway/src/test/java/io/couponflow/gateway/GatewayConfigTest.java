package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
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
  void smallWindow_lowersTheDefaultMinimumCalls() {
    GatewayConfig c = GatewayConfig.from(Env.of(Map.of("COUPON_BREAKER_WINDOW", "4")));

    assertThat(c.breakers().minimumCalls()).isEqualTo(4);
  }
}
