package io.couponflow.gateway.http;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Request counts and latency by route, HTTP status and outcome ({@code couponflow.http.requests}),
 * with histogram buckets for percentiles. The outcome is the error code, or for a success what
 * happened ({@code ACCEPTED}, {@code REPLAYED}, {@code OK}). Each meter is registered on first use
 * and then found by array index: no string building or registry lookup per request. Connections the
 * gateway cut to bound what they hold are counted by reason ({@code
 * couponflow.http.connections.cut}).
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class HttpMetrics {
  /** What a successful request did. */
  enum Success {
    ACCEPTED,
    REPLAYED,
    OK
  }

  /** Why a connection was cut (the {@code reason} tag). */
  enum Cut {
    /** More requests pipelined than may wait. */
    PIPELINING_LIMIT,
    /** Answers the client did not read beyond the per-connection limit. */
    BUFFER_LIMIT,
    /** Idle while paused on answers the client did not read. */
    UNREAD_ANSWERS
  }

  private static final Route[] ROUTES = Route.values();
  private static final ApiError[] ERRORS = ApiError.values();
  private static final Success[] SUCCESSES = Success.values();
  private static final int OUTCOMES = ERRORS.length + SUCCESSES.length;

  private final MeterRegistry registry;
  private final AtomicReferenceArray<Timer> timers =
      new AtomicReferenceArray<>(ROUTES.length * OUTCOMES);

  private final Map<Cut, Counter> cuts = new EnumMap<>(Cut.class);

  public HttpMetrics(MeterRegistry registry) {
    this.registry = registry;
    for (Cut cut : Cut.values()) {
      cuts.put(
          cut,
          Counter.builder("couponflow.http.connections.cut")
              .description("API connections cut to bound what one connection holds, by reason")
              .tag("reason", cut.name().toLowerCase(Locale.ROOT))
              .register(registry));
    }
  }

  /**
   * Counts a TLS handshake on the API ({@code couponflow.http.tls.handshakes}, {@code result}
   * success or failure; a connection closed before its handshake completed is a failure).
   */
  void tlsHandshake(boolean success) {
    Counter.builder("couponflow.http.tls.handshakes")
        .description("TLS handshakes on the API port, by result")
        .tag("result", success ? "success" : "failure")
        .register(registry)
        .increment();
  }

  void connectionCut(Cut reason) {
    cuts.get(reason).increment();
  }

  void recordSuccess(Route route, Success success, int status, long nanos) {
    timer(route, ERRORS.length + success.ordinal(), success.name(), status)
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  void recordError(Route route, ApiError error, long nanos) {
    timer(route, error.ordinal(), error.name(), error.status().code())
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  private Timer timer(Route route, int outcome, String outcomeName, int status) {
    int index = route.ordinal() * OUTCOMES + outcome;
    Timer timer = timers.get(index);
    if (timer == null) {
      timer =
          Timer.builder("couponflow.http.requests")
              .description("API requests by route, HTTP status and outcome")
              .tag("route", route.metricName())
              .tag("status", Integer.toString(status))
              .tag("outcome", outcomeName)
              .publishPercentileHistogram()
              .register(registry);
      timers.set(index, timer);
    }
    return timer;
  }
}
