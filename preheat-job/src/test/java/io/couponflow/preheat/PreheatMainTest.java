package io.couponflow.preheat;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.config.Env;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PreheatMainTest {
  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(Map<String, String> env, String... args) {
    return PreheatMain.run(
        Env.of(env), new PrintWriter(out, true), new PrintWriter(err, true), false, args);
  }

  @Test
  void help_explainsEveryOptionAndTheExitCodes() {
    assertThat(run(Map.of(), "--help")).isZero();

    assertThat(out.toString())
        .contains("--window=DURATION", "Default: 30m")
        .contains("--coupon=N", "repeatable")
        .contains("--all-active")
        .contains("--dry-run")
        .contains("--metrics-file=PATH", "textfile collector")
        .contains("--snapshot=PATH", "COUPON_PREHEAT_SNAPSHOT")
        .contains("never creates one")
        .contains("Exit codes: 0 all done; 2 partial, retry later");
  }

  @Test
  void badWindow_failsWithExit1NamingTheOption() {
    assertThat(run(Map.of(), "--window", "soon")).isEqualTo(1);

    assertThat(err.toString()).startsWith("couponflow-preheat: --window: 'soon' is not a duration");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void couponAndAllActive_together_failWithExit1() {
    assertThat(run(Map.of(), "--coupon", "1", "--all-active")).isEqualTo(1);

    assertThat(err.toString())
        .isEqualTo("couponflow-preheat: use either --coupon or --all-active, not both\n");
  }

  @Test
  void nonPositiveCoupon_failsWithExit1() {
    assertThat(run(Map.of(), "--coupon", "0")).isEqualTo(1);

    assertThat(err.toString()).isEqualTo("couponflow-preheat: --coupon: 0 (expected: > 0)\n");
  }

  @Test
  void unknownOption_failsWithExit1() {
    assertThat(run(Map.of(), "--everything")).isEqualTo(1);

    assertThat(err.toString()).startsWith("couponflow-preheat: Unknown option: '--everything'");
  }

  @Test
  void badVariable_failsWithExit1NamingIt() {
    assertThat(run(Map.of("COUPON_PREHEAT_BATCH", "0"))).isEqualTo(1);

    assertThat(err.toString())
        .isEqualTo(
            "couponflow-preheat: COUPON_PREHEAT_BATCH: 0 is out of range (expected: 1..20000)\n");
  }
}
