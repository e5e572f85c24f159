package io.couponflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.couponflow.bench.rig.CpuUsage;
import io.couponflow.bench.scenario.Results;
import io.couponflow.bench.scenario.S0Limit;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportTest {
  private static Report twoRows() {
    return Report.of(
        List.of(
            new Report.Row("S0", "limit", "20,000/s", "reference", "", null, "n | m"),
            new Report.Row("S1", "accept path", "9,000/s", "0.45 x S0", ">= 0.8 x S0", false, "")),
        Map.of("cores", "2"));
  }

  private static S0Limit.Result s0(double perSecond, double redisMicros) {
    return new S0Limit.Result(
        perSecond, 300_000, 299_990, 1.2, new CpuUsage(Map.of("redis", redisMicros)));
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
