package io.couponflow.preheat;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTest {
  @TempDir Path dir;

  private static Summary summary(Summary.Result result, String reason, String source) {
    return new Summary(5, 4, 3, 2, 1, source, Duration.ofMillis(1234), result, reason, false);
  }

  @Test
  void line_namesEveryCount_theSource_andTheReason() {
    assertThat(summary(Summary.Result.PARTIAL, "MySQL \"down\"", "snapshot").line())
        .isEqualTo(
            "preheat: loaded=5 already_live=4 updated=3 restocked=2 failed=1 source=snapshot"
                + " duration=1.2s result=partial reason=\"MySQL 'down'\"");
  }

  @Test
  void exitCodes_followTheContract() {
    assertThat(summary(Summary.Result.OK, null, "mysql").exitCode()).isZero();
    assertThat(summary(Summary.Result.PARTIAL, "x", "mysql").exitCode()).isEqualTo(2);
    assertThat(summary(Summary.Result.FAILED, "x", "none").exitCode()).isEqualTo(1);
  }

  @Test
  void metricsFile_isPrometheusTextWithEveryCount() throws Exception {
    Path file = dir.resolve("sub/preheat.prom");

    MetricsFile.write(
        file,
        summary(Summary.Result.PARTIAL, "x", "snapshot"),
        Instant.ofEpochSecond(1_700_000_000L));

    String text = Files.readString(file);
    assertThat(text)
        .contains("# TYPE couponflow_preheat_coupons gauge")
        .contains("couponflow_preheat_coupons{outcome=\"loaded\"} 5")
        .contains("couponflow_preheat_coupons{outcome=\"already_live\"} 4")
        .contains("couponflow_preheat_coupons{outcome=\"updated\"} 3")
        .contains("couponflow_preheat_coupons{outcome=\"restocked\"} 2")
        .contains("couponflow_preheat_coupons{outcome=\"failed\"} 1")
        .contains("couponflow_preheat_snapshot_used 1")
        .contains("couponflow_preheat_exit_code 2")
        .contains("couponflow_preheat_duration_seconds 1.234")
        .contains("couponflow_preheat_last_run_timestamp_seconds 1.7E9");
    assertThat(Files.list(file.getParent())).containsExactly(file);
  }
}
