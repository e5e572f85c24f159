package io.couponflow.bench.scenario;

import io.couponflow.bench.load.HttpLoad;
import io.couponflow.bench.load.LoadResult;
import io.couponflow.bench.load.LoadTool;
import io.couponflow.bench.load.RedemptionRequests;
import io.couponflow.bench.load.Wrk;
import java.time.Duration;

/**
 * The HTTP loads on one server ({@code 127.0.0.1:port}): closed loops through wrk or the Java
 * client as the shape says, and open loops (always the Java client, which corrects for coordinated
 * omission).
 *
 * <p>Thread-safety: one load at a time.
 */
public final class ClosedLoop implements AutoCloseable {
  static final String HOST = "127.0.0.1";

  private final LoadShape shape;
  private final int port;
  private final HttpLoad http;

  public ClosedLoop(LoadShape shape, int port) {
    this.shape = shape;
    this.port = port;
    this.http = new HttpLoad(HOST, port);
  }

  LoadShape shape() {
    return shape;
  }

  /** {@code requests} on the shape's connections for {@code duration}. */
  Throughput run(RedemptionRequests requests, Duration duration) {
    if (shape.tool() == LoadTool.WRK) {
      return Throughput.of(
          Wrk.run(HOST, port, requests, shape.connections(), duration, shape.workDir()));
    }
    return Throughput.of(http.closedLoop(requests, shape.connections(), duration));
  }

  /** Requests due at {@code ratePerSecond}, latency from each one's intended send time. */
  LoadResult openLoop(RedemptionRequests requests, double ratePerSecond, Duration duration) {
    return http.openLoop(requests, shape.connections(), ratePerSecond, duration);
  }

  @Override
  public void close() {
    http.close();
  }
}
