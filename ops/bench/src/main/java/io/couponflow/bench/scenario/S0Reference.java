package io.couponflow.bench.scenario;

import io.couponflow.bench.load.RedisBenchmark;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.CpuMeter;
import io.couponflow.bench.rig.CpuUsage;
import io.couponflow.bench.rig.InvariantViolation;
import io.couponflow.bench.rig.Progress;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * S0-ref: {@code redis-benchmark} of a minimal reference redemption script (not couponflow's: read
 * from the file it is given, loaded with SCRIPT LOAD, called with EVALSHA), in S0's shape, beside
 * S0. The script's contract: KEYS a hash with {@code per_user}, a stock counter, a hash of users,
 * an outbox stream; ARGV requestId, userId, orderId, a time in ms; a stock that never goes below
 * zero and one outbox entry per unit taken. Checked after the run, then its keys are deleted.
 */
public final class S0Reference {
  /**
   * @param acceptedPerSecond calls per second times the share of them that took stock
   * @param cpu microseconds per accepted call of redis-server and redis-benchmark
   */
  public record Result(
      Path script,
      double acceptedPerSecond,
      long calls,
      long accepted,
      double p50Millis,
      CpuUsage cpu)
      implements Measurement {
    @Override
    public String scenario() {
      return "S0-ref";
    }
  }

  private static final long STOCK = 1_000_000_000_000L;
  private static final long WARMUP_CALLS = 20_000;

  private final BenchEnvironment env;
  private final int connections;
  private final Duration duration;
  private final Progress progress;

  public S0Reference(BenchEnvironment env, int connections, Duration duration, Progress progress) {
    this.env = env;
    this.connections = connections;
    this.duration = duration;
    this.progress = progress;
  }

  /** Why the scenario cannot run with {@code script}, or empty when it can. */
  public static java.util.Optional<String> unavailable(Path script) {
    if (!RedisBenchmark.available()) {
      return java.util.Optional.of("redis-benchmark not found");
    }
    if (!Files.isRegularFile(script)) {
      return java.util.Optional.of(
          "the reference script "
              + script.toAbsolutePath().normalize()
              + " is missing (it is not couponflow's and is not in the repository: give its path"
              + " with --ref-script)");
    }
    return java.util.Optional.empty();
  }

  public Result run(Path script) {
    String source;
    try {
      source = Files.readString(script, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the reference script " + script, e);
    }
    progress.say("S0-ref: redis-benchmark, %d connections, EVALSHA %s", connections, script);
    String sha = env.loadScript(source);
    var uri = env.redisSettings().uris().get(0);
    RefKeys warmKeys = setUp("refw");
    RedisBenchmark.Result warm =
        RedisBenchmark.run(uri, connections, WARMUP_CALLS, warmKeys.command(sha));
    check("S0-ref warm-up", warmKeys);
    delete(warmKeys);
    RefKeys keys = setUp("ref");
    try {
      long requests = S0Limit.calls(warm.requestsPerSecond(), duration);
      CpuMeter cpu =
          new CpuMeter()
              .watch("redis", env.redisPid())
              .watch("load", ProcessHandle.current().pid());
      var cpuBefore = cpu.sample();
      RedisBenchmark.Result r = RedisBenchmark.run(uri, connections, requests, keys.command(sha));
      var cpuAfter = cpu.sample();
      long accepted = check("S0-ref", keys);
      Result result =
          new Result(
              script,
              r.requestsPerSecond() * accepted / r.requests(),
              r.requests(),
              accepted,
              r.p50Millis(),
              CpuMeter.perUnit(cpuBefore, cpuAfter, accepted));
      progress.say(
          "S0-ref: %,.0f/s accepted (%,d of %,d calls)",
          result.acceptedPerSecond(), accepted, r.requests());
      return result;
    } finally {
      delete(keys);
    }
  }

  /** The reference script's four keys, under the bench's prefix and a hash tag of their own. */
  private record RefKeys(String meta, String stock, String users, String outbox) {
    List<String> command(String sha) {
      return List.of(
          "EVALSHA",
          sha,
          "4",
          meta,
          stock,
          users,
          outbox,
          "r-__rand_int__",
          "u-__rand_int__",
          "o-__rand_int__",
          "1767225600000");
    }
  }

  private RefKeys setUp(String tag) {
    String base = env.prefix() + ":{" + tag + "}:";
    RefKeys k = new RefKeys(base + "meta", base + "stock", base + "users", base + "outbox");
    env.hset(k.meta(), Map.of("per_user", "1"));
    env.set(k.stock(), Long.toString(STOCK));
    return k;
  }

  /**
   * Stock taken = outbox entries, and never below zero.
   *
   * @return units taken so far
   */
  private long check(String scenario, RefKeys k) {
    long stock = Long.parseLong(env.get(k.stock()));
    long taken = STOCK - stock;
    long outbox = env.streamLength(k.outbox());
    if (stock < 0 || taken != outbox) {
      throw new InvariantViolation(
          String.format(
              Locale.ROOT,
              "%s: the reference script left stock %d (of %d) and %d outbox entries (expected:"
                  + " stock >= 0 and one entry per unit taken)",
              scenario,
              stock,
              STOCK,
              outbox));
    }
    return taken;
  }

  /** Its keys, and the idempotency keys the script makes beside them ({@code idem:<stock>:...}). */
  private void delete(RefKeys k) {
    env.deleteMatching(k.meta().substring(0, k.meta().length() - "meta".length()) + "*");
    env.deleteMatching("idem:" + k.stock() + ":*");
  }
}
