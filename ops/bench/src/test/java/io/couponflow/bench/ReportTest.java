package io.couponflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.couponflow.bench.rig.CpuUsage;
import io.couponflow.bench.scenario.FenceCost;
import io.couponflow.bench.scenario.HBareNetty;
import io.couponflow.bench.scenario.Results;
import io.couponflow.bench.scenario.S0Limit;
import io.couponflow.bench.scenario.S0Reference;
import io.couponflow.bench.scenario.S1AcceptPath;
import io.couponflow.bench.scenario.S1Launcher;
import io.couponflow.bench.scenario.Throughput;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class ReportTest {
  private static Report twoRows() {
    return Report.of(
        List.of(
            new Report.Row("S0", "limit", "20,000/s", "reference", "", null, "n | m"),
            new Report.Row("S1", "accept path", "9,000/s", "0.45 x S0", ">= 0.8 x S0", false, "")),
        Map.of("cores", "2"));
  }

  private static S1AcceptPath.Run run(double perSecond, double gatewayMicros) {
    return new S1AcceptPath.Run(
        "a",
        perSecond,
        (long) perSecond * 10,
        new Throughput(
            (long) perSecond * 10, (long) perSecond * 10, 0, 0, 50, Duration.ofSeconds(10)),
        new CpuUsage(Map.of("gateway", gatewayMicros, "redis", 30.0)),
        100,
        150,
        40);
  }

  private static S1AcceptPath.Result s1(boolean agreed, double... perSecond) {
    List<S1AcceptPath.Run> runs = new ArrayList<>();
    for (double p : perSecond) {
      runs.add(run(p, 40));
    }
    return new S1AcceptPath.Result(
        10, runs, agreed, runs.size() - 2, Duration.ofSeconds(15), OptionalDouble.empty());
  }

  private static S0Limit.Result s0(double perSecond, double redisMicros) {
    return new S0Limit.Result(
        perSecond, 300_000, 299_990, 1.2, new CpuUsage(Map.of("redis", redisMicros)));
  }

  private static Report.Row row(Report report, String scenario, String figureStart) {
    return report.rows().stream()
        .filter(r -> r.scenario().equals(scenario) && r.figure().startsWith(figureStart))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void markdown_oneLinePerRow_escapesPipes() {
    String md = twoRows().markdown();

    assertThat(md.lines().toList())
        .startsWith(
            "| scenario | figure | value | ratio | target | met | note |",
            "|---|---|---|---|---|---|---|",
            "| S0 | limit | 20,000/s | reference |  |  | n \\| m |",
            "| S1 | accept path | 9,000/s | 0.45 x S0 | >= 0.8 x S0 | NO |  |")
        .contains("- cores: 2");
  }

  @Test
  void json_missedTarget_allTargetsMetIsFalse() throws IOException {
    List<String> names = new ArrayList<>();
    boolean allMet = true;
    try (JsonParser p = new JsonFactory().createParser(twoRows().json())) {
      while (p.nextToken() != null) {
        if (p.currentToken() == JsonToken.FIELD_NAME && p.currentName().equals("scenario")) {
          names.add(p.nextTextValue());
        } else if (p.currentToken() == JsonToken.FIELD_NAME
            && p.currentName().equals("allTargetsMet")) {
          p.nextToken();
          allMet = p.getBooleanValue();
        }
      }
    }

    assertThat(names).containsExactly("S0", "S1");
    assertThat(allMet).isFalse();
    assertThat(twoRows().allMet()).isFalse();
  }

  @Test
  void text_alignsColumns() {
    List<String> lines = twoRows().text().lines().toList();

    assertThat(lines.get(1).indexOf("20,000/s")).isEqualTo(lines.get(2).indexOf("9,000/s"));
  }

  @Test
  void of_gatewayAndBareNetty_printsTheGatewaysCpuAsAMultipleOfH() {
    Results results =
        Results.EMPTY
            .plus(s1(true, 10_000, 10_500))
            .plus(
                new HBareNetty.Result(
                    80_000, 800_000, new CpuUsage(Map.of("H", 10.0)), 202, "a template", 1));

    Report.Row cpu = row(Report.of(results), "S1", "CPU per accepted redemption");

    assertThat(cpu.ratio()).isEqualTo("gateway = 4.00 x H");
    assertThat(cpu.target()).isEqualTo("gateway <= 2.5 x H");
    assertThat(cpu.met()).isFalse();
  }

  @Test
  void of_limitAndReference_printsS0AsAFractionOfS0Ref() {
    Results results =
        Results.EMPTY
            .plus(s0(26_000, 38))
            .plus(
                new S0Reference.Result(
                    Path.of("ref.lua"),
                    40_000,
                    400_000,
                    399_000,
                    1.0,
                    new CpuUsage(Map.of("redis", 20.0))));

    Report.Row ref = row(Report.of(results), "S0-ref", "reference");

    assertThat(ref.ratio()).isEqualTo("S0 = 0.65 x S0-ref");
    assertThat(ref.met()).isFalse();
    assertThat(row(Report.of(results), "S0-ref", "CPU").ratio())
        .isEqualTo("S0's redis = 1.90 x S0-ref's");
  }

  @Test
  void of_firstAndRepeatApart_saysTheFigureIsNotSettledAndCountsTheLast() {
    Report report =
        Report.of(
            Results.EMPTY.plus(s0(20_000, 30)).plus(s1(false, 8_000, 10_000, 12_000, 13_500)));

    Report.Row warmup = row(report, "S1", "warm-up check");
    assertThat(warmup.value()).isEqualTo("8,000/s, 13,500/s");
    assertThat(warmup.met()).isFalse();
    assertThat(warmup.note())
        .contains("did NOT agree within 10% after 2 extra warm-up(s) of 15 s")
        .contains("8,000/s, 10,000/s, 12,000/s, 13,500/s");
    assertThat(row(report, "S1", "accept path").ratio()).isEqualTo("0.68 x S0");
  }

  @Test
  void of_launcherAgainstTuned_printsTheRatio() {
    Results results =
        Results.EMPTY
            .plus(s1(true, 10_000, 10_000))
            .plus(new S1Launcher.Result(s1(true, 9_000, 9_500), "-Xmx512m -XX:+UseSerialGC"));

    Report.Row launcher = row(Report.of(results), "S1-launcher", "S1 through");

    assertThat(launcher.ratio()).isEqualTo("0.95 x S1 (tuned options)");
    assertThat(launcher.met()).isTrue();
    assertThat(launcher.note()).startsWith("the launcher chose: -Xmx512m -XX:+UseSerialGC");
  }

  @Test
  void of_fence_printsWithAgainstWithoutAndEveryLoad() {
    FenceCost.Result fence =
        new FenceCost.Result(
            List.of(
                new FenceCost.Load(false, run(10_000, 40)),
                new FenceCost.Load(true, run(9_800, 41)),
                new FenceCost.Load(true, run(10_000, 41)),
                new FenceCost.Load(false, run(10_400, 40))),
            s0(36_000, 27),
            s0(30_000, 33),
            1005,
            5);

    Report report = Report.of(Results.EMPTY.plus(fence));

    Report.Row s1 = row(report, "fence", "S1 with");
    assertThat(s1.value()).isEqualTo("9,900/s");
    assertThat(s1.ratio()).isEqualTo("0.97 x without");
    assertThat(s1.met()).isTrue();
    assertThat(s1.note())
        .contains("without 10,000/s, with 9,800/s, with 10,000/s, without 10,400/s");
    assertThat(row(report, "fence", "S0 with").ratio()).isEqualTo("0.83 x without");
  }

  @Test
  void json_results_holdEveryValueAsNumbers() throws IOException {
    String json = Report.of(Results.EMPTY.plus(s0(26_000, 38))).json();

    try (JsonParser p = new JsonFactory().createParser(json)) {
      boolean found = false;
      while (p.nextToken() != null) {
        if (p.currentToken() == JsonToken.FIELD_NAME
            && p.currentName().equals("acceptedPerSecond")) {
          p.nextToken();
          assertThat(p.getDoubleValue()).isEqualTo(26_000.0);
          found = true;
        }
      }
      assertThat(found).as(json).isTrue();
    }
    assertThat(json).contains("\"results\"").contains("\"S0\"").contains("\"redis\" : 38.0");
  }
}
