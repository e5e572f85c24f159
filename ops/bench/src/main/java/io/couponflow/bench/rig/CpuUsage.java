package io.couponflow.bench.rig;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Microseconds of CPU per unit of work (a redemption, a request, a call), per process, in the order
 * the processes were watched: the value {@link CpuMeter} measures.
 */
public record CpuUsage(Map<String, Double> micros) {
  public CpuUsage {
    micros = Collections.unmodifiableMap(new LinkedHashMap<>(micros));
  }

  /** One process's microseconds per unit, NaN when it was not measured. */
  public double of(String process) {
    return micros.getOrDefault(process, Double.NaN);
  }

  /** The sum over every process measured. */
  public double total() {
    return micros.values().stream().mapToDouble(Double::doubleValue).sum();
  }

  /** As "gateway 41, redis 55; total 96 us", or "n/a" when nothing was measured. */
  public String text() {
    if (micros.isEmpty()) {
      return "n/a";
    }
    StringBuilder b = new StringBuilder();
    for (Map.Entry<String, Double> e : micros.entrySet()) {
      b.append(b.length() == 0 ? "" : ", ")
          .append(String.format(Locale.ROOT, "%s %.0f", e.getKey(), e.getValue()));
    }
    return String.format(Locale.ROOT, "%s; total %.0f us", b, total());
  }
}
