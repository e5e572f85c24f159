package io.couponflow.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.couponflow.bench.scenario.FenceCost;
import io.couponflow.bench.scenario.HBareNetty;
import io.couponflow.bench.scenario.Measurement;
import io.couponflow.bench.scenario.Results;
import io.couponflow.bench.scenario.S0Limit;
import io.couponflow.bench.scenario.S0Reference;
import io.couponflow.bench.scenario.S1AcceptPath;
import io.couponflow.bench.scenario.S1Launcher;
import io.couponflow.bench.scenario.S2Naive;
import io.couponflow.bench.scenario.S3Latency;
import io.couponflow.bench.scenario.S4SoldOutStorm;
import io.couponflow.bench.scenario.S5Sink;
import io.couponflow.bench.scenario.S6Memory;
import io.couponflow.bench.scenario.Skipped;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Collectors;

/**
 * The bench's one table, rendered from the values a run measured ({@link Results}): each figure,
 * its ratio to the reference measured in the same run, the target and whether it was met; printed
 * for people, written as Markdown and as JSON (the rows, and every measured value as numbers).
 *
 * <p>Thread-safety: immutable.
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

  /** The order of the table, whatever order the scenarios ran in. */
  private static final List<String> ORDER =
      List.of("S0", "S0-ref", "S2", "H", "S1", "S3", "S4", "S5", "S6", "S1-launcher", "fence");

  static final double S1_OVER_S0 = 0.8;
  static final double S0_OVER_REF = 0.8;
  static final double GATEWAY_OVER_H = 2.5;
  static final double LAUNCHER_OVER_TUNED = 0.9;
  static final double FENCE_TOLERANCE = 0.10;

  private final List<Row> rows;
  private final Results results;

  private Report(List<Row> rows, Results results) {
    this.rows = List.copyOf(rows);
    this.results = results;
  }

  /** A table of given rows and context, with no measured values behind it (for tests). */
  static Report of(List<Row> rows, Map<String, String> context) {
    return new Report(rows, new Results(context, List.of()));
  }

  /** The table of everything {@code results} holds. */
  static Report of(Results results) {
    List<Row> rows = new ArrayList<>();
    for (String scenario : ORDER) {
      for (Measurement m : results.measurements()) {
        if (m.scenario().equals(scenario)) {
          rows.addAll(rows(m, results));
        }
      }
    }
    return new Report(rows, results);
  }

  List<Row> rows() {
    return rows;
  }

  /** Whether every row with a target met it. */
  boolean allMet() {
    return rows.stream().allMatch(r -> r.met() == null || r.met());
  }

  // ---- rendering the values ----------------------------------------------------------------

  private static List<Row> rows(Measurement m, Results all) {
    if (m instanceof Skipped s) {
      return List.of(new Row(s.scenario(), s.figure(), "n/a", "", "", null, s.reason()));
    }
    if (m instanceof S0Limit.Result s0) {
      return s0(s0);
    }
    if (m instanceof S0Reference.Result ref) {
      return s0Ref(ref, all.get(S0Limit.Result.class));
    }
    if (m instanceof S2Naive.Result s2) {
      return List.of(
          new Row(
              "S2",
              "naive baseline: MySQL row lock per redemption, accepted/s",
              perSecond(s2.acceptedPerSecond()),
              "reference",
              "",
              null,
              String.format(Locale.ROOT, "%,d accepted, %,d failed", s2.accepted(), s2.failed())));
    }
    if (m instanceof HBareNetty.Result h) {
      return h(h, all.get(S1AcceptPath.Result.class));
    }
    if (m instanceof S1AcceptPath.Result s1) {
      return s1(s1, all);
    }
    if (m instanceof S3Latency.Result s3) {
      return List.of(s3(s3));
    }
    if (m instanceof S4SoldOutStorm.Result s4) {
      return List.of(s4(s4, all.get(S1AcceptPath.Result.class)));
    }
    if (m instanceof S5Sink.Result s5) {
      return s5(s5, all.get(S1AcceptPath.Result.class));
    }
    if (m instanceof S6Memory.Result s6) {
      return s6(s6);
    }
    if (m instanceof S1Launcher.Result launcher) {
      return launcher(launcher, all.get(S1AcceptPath.Result.class));
    }
    if (m instanceof FenceCost.Result fence) {
      return fence(fence);
    }
    throw new IllegalArgumentException("no rendering for " + m.getClass().getName());
  }

  private static List<Row> s0(S0Limit.Result s0) {
    return List.of(
        new Row(
            "S0",
            "limit: redis-benchmark FCALL cf_redeem, accepted/s",
            perSecond(s0.acceptedPerSecond()),
            "reference",
            "",
            null,
            String.format(
                Locale.ROOT,
                "%,d calls, %,d accepted, p50 %.2f ms",
                s0.calls(),
                s0.accepted(),
                s0.p50Millis())),
        new Row(
            "S0",
            "CPU per accepted redemption (us): redis-server, redis-benchmark",
            s0.cpu().text(),
            "",
            "",
            null,
            "from /proc/<pid>/stat"));
  }

  private static List<Row> s0Ref(S0Reference.Result ref, Optional<S0Limit.Result> s0) {
    Optional<Double> ratio = s0.map(s -> s.acceptedPerSecond() / ref.acceptedPerSecond());
    return List.of(
        new Row(
            "S0-ref",
            "reference: redis-benchmark EVALSHA of a minimal redeem script, accepted/s",
            perSecond(ref.acceptedPerSecond()),
            ratio.map(r -> "S0 = " + times(r, "S0-ref")).orElse(""),
            "S0 >= " + S0_OVER_REF + " x S0-ref",
            ratio.map(r -> r >= S0_OVER_REF).orElse(null),
            String.format(
                Locale.ROOT,
                "%s; %,d calls, %,d accepted, p50 %.2f ms",
                ref.script(),
                ref.calls(),
                ref.accepted(),
                ref.p50Millis())),
        new Row(
            "S0-ref",
            "CPU per accepted call (us): redis-server, redis-benchmark",
            ref.cpu().text(),
            s0.map(
                    s ->
                        "S0's redis = "
                            + times(s.cpu().of("redis") / ref.cpu().of("redis"), "S0-ref's"))
                .orElse(""),
            "",
            null,
            "from /proc/<pid>/stat"));
  }

  private static List<Row> h(HBareNetty.Result h, Optional<S1AcceptPath.Result> s1) {
    return List.of(
        new Row(
            "H",
            "bare Netty answer: a fixed 201, requests/s",
            perSecond(h.requestsPerSecond()),
            s1.map(s -> "S1 = " + times(s.acceptedPerSecond() / h.requestsPerSecond(), "H"))
                .orElse(""),
            "",
            null,
            String.format(
                Locale.ROOT,
                "%d-byte body (%s); the gateway's HTTP codec, JVM options and %d event loop(s); S1's"
                    + " load shape; %,d requests",
                h.bodyBytes(),
                h.bodySource(),
                h.eventLoops(),
                h.requests())),
        new Row(
            "H",
            "CPU per request (us): bare server, load generator",
            h.cpu().text(),
            "",
            "",
            null,
            "from /proc/<pid>/stat"));
  }

  private static List<Row> s1(S1AcceptPath.Result s1, Results all) {
    Optional<S0Limit.Result> s0 = all.get(S0Limit.Result.class);
    Optional<S2Naive.Result> s2 = all.get(S2Naive.Result.class);
    Optional<HBareNetty.Result> h = all.get(HBareNetty.Result.class);
    S1AcceptPath.Run settled = s1.settled();
    double rate = s1.acceptedPerSecond();
    List<Row> rows = new ArrayList<>();
    Optional<Double> overS0 = s0.map(s -> rate / s.acceptedPerSecond());
    rows.add(
        new Row(
            "S1",
            "accept path: HTTP through the gateway, accepted/s",
            perSecond(rate),
            overS0.map(r -> times(r, "S0")).orElse(""),
            ">= " + S1_OVER_S0 + " x S0",
            overS0.map(r -> r >= S1_OVER_S0).orElse(null),
            settled.load().note()
                + (s1.runs().size() > 2
                    ? " (the last of " + s1.runs().size() + " measured loads)"
                    : "")));
    rows.add(warmupRow("S1", s1));
    Optional<Double> overH = h.map(x -> settled.cpu().of("gateway") / x.cpu().of("H"));
    rows.add(
        new Row(
            "S1",
            "CPU per accepted redemption (us): gateway, redis-server, MySQL, load generator",
            settled.cpu().text(),
            overH.map(r -> "gateway = " + times(r, "H")).orElse(""),
            "gateway <= " + GATEWAY_OVER_H + " x H",
            overH.map(r -> r <= GATEWAY_OVER_H).orElse(null),
            String.format(
                    Locale.ROOT,
                    "from /proc/<pid>/stat; the sink's MySQL writes included: %,.0f batches of %.0f"
                        + " rows on average",
                    settled.sinkBatches(),
                    settled.rowsPerBatch())
                + h.map(
                        x ->
                            String.format(Locale.ROOT, "; H: %.1f us per request", x.cpu().of("H")))
                    .orElse("")));
    s2.ifPresent(
        naive ->
            rows.add(
                new Row(
                    "S1/S2",
                    "accept path against the naive baseline",
                    perSecond(rate),
                    times(rate / naive.acceptedPerSecond(), "S2"),
                    ">= 10 x S2",
                    rate / naive.acceptedPerSecond() >= 10,
                    "")));
    return rows;
  }

  /** First against repeat, and whether the warm-up stopped changing the figure. */
  private static Row warmupRow(String scenario, S1AcceptPath.Result s1) {
    S1AcceptPath.Run first = s1.first();
    S1AcceptPath.Run last = s1.settled();
    String extra =
        s1.extraWarmups() == 0
            ? ""
            : String.format(
                Locale.ROOT,
                " after %d extra warm-up(s) of %d s",
                s1.extraWarmups(),
                s1.extraWarmup().toSeconds());
    String all =
        s1.runs().stream()
            .map(r -> perSecond(r.acceptedPerSecond()))
            .collect(Collectors.joining(", "));
    return new Row(
        scenario,
        "warm-up check: S1 first, then repeated, accepted/s",
        perSecond(first.acceptedPerSecond()) + ", " + perSecond(last.acceptedPerSecond()),
        times(last.acceptedPerSecond() / first.acceptedPerSecond(), "first"),
        "last two within 10%",
        s1.agreed(),
        (s1.agreed()
                ? "the last two agreed within 10%" + extra
                : "the last two did NOT agree within 10%" + extra + ": the figure is not settled")
            + "; measured loads: "
            + all);
  }

  private static Row s3(S3Latency.Result s3) {
    return new Row(
        "S3",
        "latency at 50% of S1 (open loop, from intended send time): p50 / p99 / p99.9",
        String.format(
            Locale.ROOT, "%.2f / %.2f / %.2f ms", s3.p50Millis(), s3.p99Millis(), s3.p999Millis()),
        String.format(Locale.ROOT, "at %,.0f/s", s3.ratePerSecond()),
        "p99 <= 5 ms",
        s3.p99Millis() <= 5.0,
        String.format(
            Locale.ROOT,
            "%,d requests, max %.1f ms; meanwhile: gateway GC %.0f pauses, %.0f ms in all;"
                + " Redis SLOWLOG %d commands over 10 ms (longest %.1f ms); the generator's timer"
                + " late by up to %.1f ms",
            s3.answered(),
            s3.maxMillis(),
            s3.gcPauses(),
            s3.gcMillis(),
            s3.slowCommands(),
            s3.slowestMillis(),
            s3.generatorLateMillis()));
  }

  private static Row s4(S4SoldOutStorm.Result s4, Optional<S1AcceptPath.Result> s1) {
    Optional<Double> ratio = s1.map(s -> s4.rejectionsPerSecond() / s.acceptedPerSecond());
    return new Row(
        "S4",
        "sold-out storm: SOLD_OUT answers/s",
        perSecond(s4.rejectionsPerSecond()),
        ratio.map(r -> times(r, "S1")).orElse(""),
        ">= 2 x S1",
        ratio.map(r -> r >= 2).orElse(null),
        s4.storm().note());
  }

  private static List<Row> s5(S5Sink.Result s5, Optional<S1AcceptPath.Result> s1) {
    List<Row> rows = new ArrayList<>();
    rows.add(
        new Row(
            "S5",
            "sink: batched rows/s against single-row autocommit",
            perSecond(s5.bestRowsPerSecond()),
            times(s5.speedup(), "single-row"),
            ">= 10 x single-row",
            s5.speedup() >= 10,
            String.format(
                Locale.ROOT,
                "%s; single-row %s",
                s5.bestMethod(),
                perSecond(s5.singleRowsPerSecond()))));
    s1.ifPresent(
        s ->
            rows.add(
                new Row(
                    "S5",
                    "outbox lag at S1's peak: oldest pending entry, max of samples every 50 ms",
                    String.format(Locale.ROOT, "%.0f ms", s.maxLagMillis()),
                    "",
                    "< 1000 ms",
                    s.maxLagMillis() < 1000,
                    "")));
    return rows;
  }

  private static List<Row> s6(S6Memory.Result s6) {
    return List.of(
        new Row(
            "S6",
            "Redis bytes retained per accepted redemption (outbox drained)",
            String.format(Locale.ROOT, "%.1f B", s6.bytesPerRedemption()),
            "",
            "<= 200 B",
            s6.bytesPerRedemption() <= 200,
            String.format(
                Locale.ROOT,
                "MEMORY USAGE of the coupon's keys, %,d redemptions; INFO used_memory moved %.1f B"
                    + " per redemption (whole server, other clients included)",
                s6.redemptions(),
                s6.usedMemoryPerRedemption())),
        new Row(
            "S6",
            "gateway heap after a full GC: after S1, after S1 again",
            String.format(
                Locale.ROOT,
                "%.1f MB, %.1f MB",
                s6.heapAfterS1Bytes().orElse(Double.NaN) / 1e6,
                s6.heapAfterAgainBytes().orElse(Double.NaN) / 1e6),
            "",
            "flat (second <= first + 10% + 4 MB)",
            s6.heapFlat().orElse(null),
            String.format(
                Locale.ROOT,
                "S1 again: %s accepted (%,d)",
                perSecond(s6.againAcceptedPerSecond()),
                s6.againAccepted())));
  }

  private static List<Row> launcher(S1Launcher.Result l, Optional<S1AcceptPath.Result> tuned) {
    double rate = l.s1().acceptedPerSecond();
    Optional<Double> ratio = tuned.map(t -> rate / t.acceptedPerSecond());
    return List.of(
        new Row(
            "S1-launcher",
            "S1 through gateway/bin/couponflow-gateway with its defaults, accepted/s",
            perSecond(rate),
            ratio.map(r -> times(r, "S1 (tuned options)")).orElse(""),
            ">= " + LAUNCHER_OVER_TUNED + " x S1",
            ratio.map(r -> r >= LAUNCHER_OVER_TUNED).orElse(null),
            "the launcher chose: " + l.options() + "; " + l.s1().settled().load().note()),
        warmupRow("S1-launcher", l.s1()),
        new Row(
            "S1-launcher",
            "CPU per accepted redemption (us): gateway, redis-server, MySQL, load generator",
            l.s1().settled().cpu().text(),
            "",
            "",
            null,
            "from /proc/<pid>/stat"));
  }

  private static List<Row> fence(FenceCost.Result f) {
    List<Row> rows = new ArrayList<>();
    String versions =
        String.format(
            Locale.ROOT,
            "on a private redis-server; the fenceless copy of the library is version %d, the real"
                + " one (put back and checked) %d",
            f.fencelessVersion(),
            f.restoredVersion());
    if (!f.s1().isEmpty()) {
      double with = f.s1PerSecond(true);
      double without = f.s1PerSecond(false);
      double ratio = with / without;
      rows.add(
          new Row(
              "fence",
              "S1 with the fence (cf_redeem's epoch check), accepted/s",
              perSecond(with),
              times(ratio, "without"),
              "within 10% of without",
              Math.abs(ratio - 1) <= FENCE_TOLERANCE,
              "the mean of two loads; in the order they ran: "
                  + order(f)
                  + "; Redis CPU per redemption "
                  + micros(f.s1(true), "redis")
                  + " with, "
                  + micros(f.s1(false), "redis")
                  + " without; gateway "
                  + micros(f.s1(true), "gateway")
                  + " with, "
                  + micros(f.s1(false), "gateway")
                  + " without"));
      rows.add(
          new Row(
              "fence",
              "S1 without the fence (the check cut out of a copy of the library), accepted/s",
              perSecond(without),
              "",
              "",
              null,
              versions));
    }
    double s0Ratio = f.s0With().acceptedPerSecond() / f.s0Without().acceptedPerSecond();
    rows.add(
        new Row(
            "fence",
            "S0 with the fence, accepted/s",
            perSecond(f.s0With().acceptedPerSecond()),
            times(s0Ratio, "without"),
            "",
            null,
            String.format(
                Locale.ROOT,
                "redis-server CPU per redemption %.1f us with, %.1f us without",
                f.s0With().cpu().of("redis"),
                f.s0Without().cpu().of("redis"))));
    rows.add(
        new Row(
            "fence",
            "S0 without the fence, accepted/s",
            perSecond(f.s0Without().acceptedPerSecond()),
            "",
            "",
            null,
            f.s1().isEmpty() ? versions : ""));
    return rows;
  }

  private static String order(FenceCost.Result f) {
    return f.s1().stream()
        .map(l -> (l.fence() ? "with " : "without ") + perSecond(l.run().acceptedPerSecond()))
        .collect(Collectors.joining(", "));
  }

  private static String micros(List<S1AcceptPath.Run> runs, String process) {
    double mean = runs.stream().mapToDouble(r -> r.cpu().of(process)).average().orElse(Double.NaN);
    return String.format(Locale.ROOT, "%.1f us", mean);
  }

  // ---- the three forms -----------------------------------------------------------------------

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
    for (Map.Entry<String, String> e : results.context().entrySet()) {
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
    for (Map.Entry<String, String> e : results.context().entrySet()) {
      b.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
    }
    return b.toString();
  }

  /**
   * {@code context}, {@code rows} and {@code allTargetsMet} as ever; {@code results}: every value
   * measured, by scenario, as numbers (durations in seconds; NaN and unknown values as null).
   */
  String json() {
    StringWriter out = new StringWriter();
    try (JsonGenerator g = new JsonFactory().createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      g.writeStartObject();
      g.writeObjectFieldStart("context");
      for (Map.Entry<String, String> e : results.context().entrySet()) {
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
      g.writeObjectFieldStart("results");
      for (Measurement m : results.measurements()) {
        g.writeFieldName(m.scenario());
        value(g, m);
      }
      g.writeEndObject();
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString() + "\n";
  }

  /** A measured value as JSON: records as objects of their components, recursively. */
  private static void value(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof Double d) {
      if (d.isNaN() || d.isInfinite()) {
        g.writeNull();
      } else {
        g.writeNumber(d);
      }
    } else if (v instanceof Long || v instanceof Integer) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Duration d) {
      g.writeNumber(d.toNanos() / 1e9);
    } else if (v instanceof OptionalDouble o) {
      value(g, o.isPresent() ? o.getAsDouble() : null);
    } else if (v instanceof Optional<?> o) {
      value(g, o.orElse(null));
    } else if (v instanceof Map<?, ?> map) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : map.entrySet()) {
        g.writeFieldName(String.valueOf(e.getKey()));
        value(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Collection<?> list) {
      g.writeStartArray();
      for (Object o : list) {
        value(g, o);
      }
      g.writeEndArray();
    } else if (v instanceof Record r) {
      g.writeStartObject();
      for (RecordComponent c : r.getClass().getRecordComponents()) {
        g.writeFieldName(c.getName());
        try {
          c.getAccessor().setAccessible(true);
          value(g, c.getAccessor().invoke(r));
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      g.writeEndObject();
    } else {
      g.writeString(v.toString());
    }
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
