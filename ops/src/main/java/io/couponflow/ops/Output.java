package io.couponflow.ops;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How a command shows rows: an aligned table for people, or JSON (an array of objects, or one
 * object) for machines with {@code --json}.
 *
 * <p>Thread-safety: one command thread.
 */
public final class Output {
  private static final JsonFactory JSON = new JsonFactory();

  private final PrintWriter out;
  private final boolean json;

  public Output(PrintWriter out, boolean json) {
    this.out = out;
    this.json = json;
  }

  public boolean json() {
    return json;
  }

  /** Prints one record: "key: value" lines, or a JSON object. */
  public void record(Map<String, ?> fields) {
    if (json) {
      out.println(toJson(List.of(fields), false));
    } else {
      int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
      fields.forEach((k, v) -> out.printf("%-" + width + "s  %s%n", k, v == null ? "-" : v));
    }
    out.flush();
  }

  /** Prints rows with the same keys: a table with a header, or a JSON array. */
  public void table(List<? extends Map<String, ?>> rows, List<String> columns) {
    if (json) {
      out.println(toJson(rows, true));
      out.flush();
      return;
    }
    List<Integer> widths = new ArrayList<>();
    for (String c : columns) {
      int w = c.length();
      for (Map<String, ?> row : rows) {
        w = Math.max(w, String.valueOf(cell(row.get(c))).length());
      }
      widths.add(w);
    }
    StringBuilder header = new StringBuilder();
    for (int i = 0; i < columns.size(); i++) {
      header.append(
          String.format(
              "%-" + widths.get(i) + "s  ", columns.get(i).toUpperCase(java.util.Locale.ROOT)));
    }
    out.println(header.toString().stripTrailing());
    for (Map<String, ?> row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < columns.size(); i++) {
        line.append(String.format("%-" + widths.get(i) + "s  ", cell(row.get(columns.get(i)))));
      }
      out.println(line.toString().stripTrailing());
    }
    out.flush();
  }

  /** Prints one JSON document for machines; nothing for people (they get {@link #say} lines). */
  public void document(Map<String, ?> fields) {
    if (json) {
      out.println(toJson(List.of(fields), false));
      out.flush();
    }
  }

  /** A line for people; nothing in JSON mode. */
  public void say(String line) {
    if (!json) {
      out.println(line);
      out.flush();
    }
  }

  private static Object cell(Object v) {
    return v == null ? "-" : v;
  }

  /** An ordered map, for building records. */
  public static Map<String, Object> fields(Object... keyValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      map.put((String) keyValues[i], keyValues[i + 1]);
    }
    return map;
  }

  static String toJson(List<? extends Map<String, ?>> rows, boolean array) {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = JSON.createGenerator(w)) {
      if (array) {
        g.writeStartArray();
      }
      for (Map<String, ?> row : rows) {
        writeObject(g, row);
      }
      if (array) {
        g.writeEndArray();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  @SuppressWarnings("unchecked")
  private static void writeObject(JsonGenerator g, Map<String, ?> row) throws IOException {
    g.writeStartObject();
    for (Map.Entry<String, ?> e : row.entrySet()) {
      g.writeFieldName(e.getKey());
      writeValue(g, e.getValue());
    }
    g.writeEndObject();
  }

  @SuppressWarnings("unchecked")
  private static void writeValue(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Long || v instanceof Integer) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Map<?, ?> m) {
      writeObject(g, (Map<String, ?>) m);
    } else if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object item : list) {
        writeValue(g, item);
      }
      g.writeEndArray();
    } else {
      g.writeString(String.valueOf(v));
    }
  }
}
