package io.couponflow.bench.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.lua.CouponLibrary;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class FencelessLibraryTest {
  private static final String REAL = CouponLibrary.source();

  private static long fencedAnswers(String source) {
    return Pattern.compile("return \\{ *'FENCED' *\\}").matcher(source).results().count();
  }

  private static String redeemBody(String source) {
    int start = source.indexOf("\nlocal function redeem(");
    return source.substring(start, source.indexOf("\nend\n", start));
  }

  @Test
  void of_thisBuildsLibrary_cutsOnlyCfRedeemsFenceAndBumpsTheVersion() {
    String fenceless = FencelessLibrary.of(REAL);

    assertThat(redeemBody(REAL)).contains("'FENCED'");
    assertThat(redeemBody(fenceless)).doesNotContain("'FENCED'").doesNotContain("current_epoch()");
    assertThat(fencedAnswers(fenceless)).isEqualTo(fencedAnswers(REAL) - 1);
    assertThat(FencelessLibrary.versionOf(fenceless))
        .isEqualTo(CouponLibrary.version() + FencelessLibrary.VERSION_BUMP);
    String restored =
        fenceless.replace(
            "local LIBRARY_VERSION = " + FencelessLibrary.versionOf(fenceless),
            "local LIBRARY_VERSION = " + CouponLibrary.version());
    int p = 0;
    while (p < restored.length() && REAL.charAt(p) == restored.charAt(p)) {
      p++;
    }
    String removed = REAL.substring(p, p + REAL.length() - restored.length());
    assertThat(REAL.substring(0, p) + removed + restored.substring(p))
        .as("only one piece of text is gone")
        .isEqualTo(REAL);
    assertThat(removed).contains("if ").contains("'FENCED'").contains("end");
  }

  @Test
  void of_oneLineFence_cutsIt() {
    String source =
        "local LIBRARY_VERSION = 3\n"
            + "local function redeem(keys, args)\n"
            + "  if m[9] ~= current_epoch() then return { 'FENCED' } end\n"
            + "  return { 'ACCEPTED' }\n"
            + "end\n"
            + "redis.register_function('cf_redeem', redeem)\n";

    assertThat(FencelessLibrary.of(source))
        .isEqualTo(
            "local LIBRARY_VERSION = 1003\n"
                + "local function redeem(keys, args)\n"
                + "  return { 'ACCEPTED' }\n"
                + "end\n"
                + "redis.register_function('cf_redeem', redeem)\n");
  }

  @Test
  void of_redeemWithoutAFence_refusesSayingWhy() {
    String source =
        "local LIBRARY_VERSION = 3\n"
            + "local function redeem(keys, args)\n"
            + "  return { 'ACCEPTED' }\n"
            + "end\n"
            + "redis.register_function('cf_redeem', redeem)\n";

    assertThatThrownBy(() -> FencelessLibrary.of(source))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("cf_redeem has no 'if ... then return { 'FENCED' } end' block");
  }

  @Test
  void of_noCfRedeem_refusesSayingWhy() {
    assertThatThrownBy(() -> FencelessLibrary.of("local LIBRARY_VERSION = 3\n"))
        .hasMessageContaining("no function is registered as cf_redeem");
  }
}
