package io.couponflow.bench;

import io.couponflow.bench.load.LoadTool;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one run of the bench runs, and how.
 *
 * @param duration each measured load's length
 * @param warmup a fresh gateway's warm-up load before its first measured one
 * @param connections connections (threads for S2) in every closed-loop load
 * @param gatewayJar the gateway's jar, run with {@code gatewayJvm}
 * @param launcher {@code gateway/bin/couponflow-gateway}, for S1-launcher
 * @param gatewayEnv COUPON_* variables for every gateway, over the bench's own
 * @param refScript S0-ref's reference script (not in the repository)
 * @param redisServer the redis-server binary the fence scenario starts a private Redis with
 * @param redisCli the redis-cli that checks it answers
 * @param results this run's folder (logs, recordings)
 */
record BenchSettings(
    Set<Scenario> scenarios,
    Duration duration,
    Duration warmup,
    int connections,
    LoadTool load,
    Path gatewayJar,
    Path launcher,
    List<String> gatewayJvm,
    Map<String, String> gatewayEnv,
    boolean jfr,
    Path refScript,
    String redisServer,
    String redisCli,
    Path results) {
  BenchSettings {
    scenarios = Set.copyOf(scenarios);
    gatewayJvm = List.copyOf(gatewayJvm);
    gatewayEnv = Map.copyOf(gatewayEnv);
  }

  boolean runs(Scenario s) {
    return scenarios.contains(s);
  }
}
