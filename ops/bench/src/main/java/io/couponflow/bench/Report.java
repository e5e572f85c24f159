package io.couponflow.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench's one table: each figure, its ratio to the reference measured in the same run, the
 * target and whether it was met; printed for people, written as Markdown and as JSON.
 *
 * <p>Thread-safety: one thread fills it.
 */
final class Report {
  /**
   * One figure.
   *
   * @param ratio the figure against its reference, as text ("0.83 x S0"), or empty
   * @param met whether the target holds; null when the row has no target
   */
  record Row(
      String scenario,
      String figure,
      String value,
      String ratio,
      String target,
      Boolean met,
      String note) {}

  private final List<Row> rows = new ArrayList<>();
  private final Map<String, String> context = new LinkedHashMap<>();

  void add(Row row) {
    rows.add(row);
  }

  void context(String key, String value) {
    context.put(key, value);
  }

  List<Row> rows() {
    return List.copyOf(rows);
  }

  /** Whether every row with a target met it. */
  boolean allMet() {
    return rows.stream().allMatch(r -> r.met() == null || r.met());
  }

  private static String met(Row r) {
    return r.met() == null ? "" : r.met() ? "yes" : "NO";
  }

  private static final String[] HEADERS = {
    "scenario", "figure", "value", "ratio", "target", "met", "note"
  };

  private static String[] cells(Row r) {
    return new String[] {
      r.scenario(), r.figure(), r.value(), r.ratio(), r.target(), met(r), r.note()
    };
  }

  /** The table for a terminal, columns aligned. */
  String text() {
    int[] width = new int[HEADERS.length];
    for (int i = 0; i < HEADERS.length; i++) {
      width[i] = HEADERS[i].length();
    }
    for (Row r : rows) {
      String[] c = cells(r);
      for (int i = 0; i < c.length; i++) {
        width[i] = Math.max(width[i], c[i].length());
      }
    }
    StringBuilder b = new StringBuilder();
    line(b, HEADERS, width);
    for (Row r : rows) {
      line(b, cells(r), width);
    }
    for (Map.Entry<String, String> e : context.entrySet()) {
      b.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
    }
    return b.toString();
  }

  private static void line(StringBuilder b, String[] cells, int[] width) {
    for (int i = 0; i < cells.length; i++) {
      b.append(i == 0 ? "" : "  ");
      b.append(i == cells.length - 1 ? cells[i] : pad(cells[i], width[i]));
    }
    b.append('\n');
  }

  private static String pad(String s, int width) {
    return s + " ".repeat(width - s.length());
  }

  /** The table in Markdown, then the run's context as a list. */
  String markdown() {
    StringBuilder b = new StringBuilder();
    b.append("| ").append(String.join(" | ", HEADERS)).append(" |\n");
    b.append("|---".repeat(HEADERS.length)).append("|\n");
    for (Row r : rows) {
      String[] c = cells(r);
      for (int i = 0; i < c.length; i++) {
        c[i] = c[i].replace("|", "\\|");
      }
      b.append("| ").append(String.join(" | ", c)).append(" |\n");
    }
    b.append('\n');
    for (Map.Entry<String, String> e : context.entrySet()) {
      b.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
    }
    return b.toString();
  }

  String json() {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeObjectFieldStart("context");
      for (Map.Entry<String, String> e : context.entrySet()) {
        g.writeStringField(e.getKey(), e.getValue());
      }
      g.writeEndObject();
      g.writeArrayFieldStart("rows");
      for (Row r : rows) {
        g.writeStartObject();
        g.writeStringField("scenario", r.scenario());
        g.writeStringField("figure", r.figure());
        g.writeStringField("value", r.value());
        g.writeStringField("ratio", r.ratio());
        g.writeStringField("target", r.target());
        if (r.met() == null) {
          g.writeNullField("met");
        } else {
          g.writeBooleanField("met", r.met());
        }
        g.writeStringField("note", r.note());
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeBooleanField("allTargetsMet", allMet());
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString() + "\n";
  }

  /** Writes {@code <stem>.md} and {@code <stem>.json} into {@code dir}; returns the two paths. */
  List<Path> write(Path dir, String stem) {
    try {
      Files.createDirectories(dir);
      Path md = dir.resolve(stem + ".md");
      Path json = dir.resolve(stem + ".json");
      Files.writeString(md, markdown(), StandardCharsets.UTF_8);
      Files.writeString(json, json(), StandardCharsets.UTF_8);
      return List.of(md, json);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the results to " + dir, e);
    }
  }

  static String perSecond(double v) {
    return String.format(Locale.ROOT, "%,.0f/s", v);
  }

  static String times(double ratio, String reference) {
    return String.format(Locale.ROOT, "%.2f x %s", ratio, reference);
  }
}
