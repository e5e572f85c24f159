package io.couponflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {
  private static Report twoRows() {
    Report report = new Report();
    report.add(new Report.Row("S0", "limit", "20,000/s", "reference", "", null, "n | m"));
    report.add(
        new Report.Row("S1", "accept path", "9,000/s", "0.45 x S0", ">= 0.8 x S0", false, ""));
    report.context("cores", "2");
    return report;
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
}
