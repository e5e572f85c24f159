package io.couponflow.testkit;

import java.util.ArrayList;
import java.util.List;

/** A redis-server of a test's own on a loopback port, optionally with AOF (fsync every write). */
public final class PrivateRedis extends ServerProcess {
  private final boolean appendOnly;
  private final List<String> extraArgs;

  private PrivateRedis(int port, boolean appendOnly, List<String> extraArgs) {
    super("redis", port);
    this.appendOnly = appendOnly;
    this.extraArgs = List.copyOf(extraArgs);
  }

  /** Starts one without persistence. */
  public static PrivateRedis launch() {
    return launch(false);
  }

  public static PrivateRedis launch(boolean appendOnly, String... extraArgs) {
    PrivateRedis redis = new PrivateRedis(freePort(), appendOnly, List.of(extraArgs));
    redis.start();
    return redis;
  }

  /** A server on a given port that the caller starts (cluster nodes). */
  public static PrivateRedis onPort(int port, boolean appendOnly, String... extraArgs) {
    return new PrivateRedis(port, appendOnly, List.of(extraArgs));
  }

  public String uri() {
    return "redis://127.0.0.1:" + port;
  }

  @Override
  protected List<String> command() {
    List<String> command = new ArrayList<>();
    command.add(TestSettings.redisServerBinary());
    command.addAll(
        List.of(
            "--port", Integer.toString(port),
            "--bind", "127.0.0.1",
            "--dir", dir.toString(),
            "--save", "",
            "--maxmemory-policy", "noeviction",
            "--appendonly", appendOnly ? "yes" : "no",
            "--appendfsync", "always"));
    command.addAll(extraArgs);
    return command;
  }
}
