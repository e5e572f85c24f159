package io.couponflow.bench.scenario;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Everything a run measured, in the order it was measured, with the run's context (machine, load
 * average, options): an immutable value, extended with {@link #plus}.
 */
public record Results(Map<String, String> context, List<Measurement> measurements) {
  public static final Results EMPTY = new Results(Map.of(), List.of());

  public Results {
    context = Collections.unmodifiableMap(new LinkedHashMap<>(context));
    measurements = List.copyOf(measurements);
  }

  public Results plus(Measurement m) {
    List<Measurement> all = new ArrayList<>(measurements);
    all.add(m);
    return new Results(context, all);
  }

  public Results with(String key, String value) {
    Map<String, String> all = new LinkedHashMap<>(context);
    all.put(key, value);
    return new Results(all, measurements);
  }

  /** The latest measurement of a type. */
  public <T extends Measurement> Optional<T> get(Class<T> type) {
    for (int i = measurements.size() - 1; i >= 0; i--) {
      if (type.isInstance(measurements.get(i))) {
        return Optional.of(type.cast(measurements.get(i)));
      }
    }
    return Optional.empty();
  }
}
