package io.couponflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code promtool check rules} and {@code promtool test rules} on {@code deploy/prometheus}: the
 * rules are valid, and each alert fires in one unit test and stays silent in another.
 */
class PromtoolIT {
  private static final Path RULES = Repo.path("deploy/prometheus/couponflow-rules.yml");
  private static final Path TESTS = Repo.path("deploy/prometheus/couponflow-rules.test.yml");

  @Test
  void checkRules_passes() throws Exception {
    String out = promtool("check", "rules", RULES.toString());

    assertThat(out).contains("SUCCESS");
  }

  @Test
  void testRules_passes_andCoversEveryAlertFiringAndSilent() throws Exception {
    String out = promtool("test", "rules", TESTS.toString());

    assertThat(out).contains("SUCCESS");
    String rules = Repo.read(RULES);
    String tests = Repo.read(TESTS);
    List<String> alerts =
        rules
            .lines()
            .map(String::trim)
            .filter(l -> l.startsWith("- alert: "))
            .map(l -> l.substring("- alert: ".length()))
            .toList();
    assertThat(alerts).hasSizeGreaterThanOrEqualTo(9);
    for (String alert : alerts) {
      // one case that expects it (exp_alerts with labels), one that expects nothing
      assertThat(tests)
          .as(alert + " has a firing and a silent case")
          .containsPattern("alertname: " + alert + "\\s+exp_alerts:\\s+- exp_labels:")
          .containsPattern("alertname: " + alert + "\\s+exp_alerts: \\[]");
    }
  }

  private static String promtool(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(Binaries.promtool()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    System.out.println("$ " + String.join(" ", command) + "\n" + out);
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
