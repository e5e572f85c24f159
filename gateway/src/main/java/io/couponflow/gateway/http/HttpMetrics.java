package io.couponflow.gateway.http;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Request counts and latency by route and status ({@code couponflow.http.requests}), with histogram
 * buckets for percentiles. Meters are created once per (route, status) and reused.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class HttpMetrics {
  private final MeterRegistry registry;
  private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

  public HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  void record(String route, int status, long nanos) {
    String key = route + ':' + status;
    Timer timer = timers.get(key);
    if (timer == null) {
      timer =
          timers.computeIfAbsent(
              key,
              k ->
                  Timer.builder("couponflow.http.requests")
                      .description("API requests by route and HTTP status")
                      .tag("route", route)
                      .tag("status", Integer.toString(status))
                      .publishPercentileHistogram()
                      .register(registry));
    }
    timer.record(nanos, TimeUnit.NANOSECONDS);
  }
}
