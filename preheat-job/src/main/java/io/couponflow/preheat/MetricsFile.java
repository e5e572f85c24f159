package io.couponflow.preheat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Writes a run's summary as Prometheus text for a node-exporter textfile collector: written to a
 * temporary file in the same folder and moved into place, so the collector never reads half a file.
 */
final class MetricsFile {
  private MetricsFile() {}

  static void write(Path path, Summary summary, Instant finishedAt) {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    coupons(registry, "loaded", summary.loaded());
    coupons(registry, "already_live", summary.alreadyLive());
    coupons(registry, "updated", summary.updated());
    coupons(registry, "restocked", summary.restocked());
    coupons(registry, "failed", summary.failed());
    gauge(
        registry,
        "couponflow.preheat.snapshot.used",
        summary.source().contains("snapshot") ? 1 : 0,
        null,
        "1 when definitions came from the last good snapshot because MySQL was unreachable");
    gauge(
        registry,
        "couponflow.preheat.duration",
        summary.duration().toMillis() / 1000.0,
        "seconds",
        "How long the last preheat run took");
    gauge(
        registry,
        "couponflow.preheat.exit.code",
        summary.exitCode(),
        null,
        "Exit code of the last preheat run: 0 all done, 2 partial (retry later), 1 failed");
    gauge(
        registry,
        "couponflow.preheat.last.run.timestamp",
        finishedAt.toEpochMilli() / 1000.0,
        "seconds",
        "When the last preheat run ended (Unix time)");
    gauge(
        registry,
        "couponflow.preheat.dry.run",
        summary.dryRun() ? 1 : 0,
        null,
        "1 when the last run was a dry run that changed nothing");
    String text = registry.scrape();
    registry.close();
    try {
      Path temporary = AtomicFile.temporaryNextTo(path, "." + path.getFileName(), ".tmp");
      try {
        Files.writeString(temporary, text, StandardCharsets.UTF_8);
        AtomicFile.moveIntoPlace(temporary, path);
      } finally {
        Files.deleteIfExists(temporary);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the metrics file " + path, e);
    }
  }

  private static void coupons(PrometheusMeterRegistry registry, String outcome, long value) {
    Gauge.builder("couponflow.preheat.coupons", () -> value)
        .tag("outcome", outcome)
        .description("Coupons the last preheat run handled, by outcome")
        .register(registry);
  }

  private static void gauge(
      PrometheusMeterRegistry registry,
      String name,
      double value,
      String unit,
      String description) {
    Gauge.builder(name, () -> value).baseUnit(unit).description(description).register(registry);
  }
}
