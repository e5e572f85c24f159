package io.couponflow.bench.scenario;

import io.couponflow.bench.load.LoadTool;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The shape every closed-loop load of a run shares.
 *
 * @param connections keep-alive connections, one request at a time on each (threads for S2)
 * @param duration each measured load's length
 * @param warmup the unmeasured load a fresh JVM gets before its first measured one
 * @param tool WRK or JAVA (never AUTO: {@link LoadTool#resolve()} first)
 * @param workDir where the loads may write their scripts and logs
 */
public record LoadShape(
    int connections, Duration duration, Duration warmup, LoadTool tool, Path workDir) {
  public LoadShape {
    if (connections < 1) {
      throw new IllegalArgumentException("connections: " + connections + " (expected: > 0)");
    }
    if (tool == LoadTool.AUTO) {
      throw new IllegalArgumentException("tool: AUTO (expected: WRK or JAVA, resolved)");
    }
  }

  static double seconds(Duration d) {
    return d.toNanos() / 1e9;
  }
}
