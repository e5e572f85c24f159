package io.couponflow.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.bench.rig.CpuUsage;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class S1AcceptPathTest {
  private static S1AcceptPath.Run run(double perSecond) {
    return new S1AcceptPath.Run(
        "a",
        perSecond,
        (long) perSecond,
        new Throughput((long) perSecond, (long) perSecond, 0, 0, 0, Duration.ofSeconds(1)),
        new CpuUsage(Map.of()),
        1,
        1,
        0);
  }

  @Test
  void agree_withinTenPercentEitherWay_agrees() {
    assertThat(S1AcceptPath.agree(run(10_000), run(11_000))).isTrue();
    assertThat(S1AcceptPath.agree(run(10_000), run(9_000))).isTrue();
  }

  @Test
  void agree_moreThanTenPercentApart_disagrees() {
    assertThat(S1AcceptPath.agree(run(10_000), run(11_001))).isFalse();
    assertThat(S1AcceptPath.agree(run(10_000), run(8_999))).isFalse();
  }
}
