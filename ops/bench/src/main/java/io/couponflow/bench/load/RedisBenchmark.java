package io.couponflow.bench.load;

import io.couponflow.lua.CouponKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * S0's and S0-ref's load: {@code redis-benchmark} calling {@code FCALL cf_redeem} on a one-bucket
 * coupon (or a reference script with EVALSHA), with {@code __rand_int__} making the idempotency
 * key, user and order of each call its own (each placeholder draws its own number out of two
 * billion, so a clash is rare and only costs that call its acceptance).
 */
public final class RedisBenchmark {
  /** What one redis-benchmark run reported. */
  public record Result(long requests, double requestsPerSecond, double p50Millis) {}

  private RedisBenchmark() {}

  /** Whether {@code redis-benchmark} is on the PATH. */
  public static boolean available() {
    return Tools.onPath("redis-benchmark");
  }

  /**
   * Runs {@code requests} calls of {@code FCALL cf_redeem} on {@code connections} connections, one
   * command at a time on each.
   */
  public static Result redeem(URI redis, CouponKeys coupon, int connections, long requests) {
    if (coupon.buckets() != 1) {
      throw new IllegalArgumentException("buckets: " + coupon.buckets() + " (expected: 1)");
    }
    return run(
        redis,
        connections,
        requests,
        List.of(
            "FCALL",
            "cf_redeem",
            "6",
            coupon.meta(),
            coupon.usersBucket(0),
            coupon.ordersBucket(0),
            coupon.idempotencyBucket(0),
            coupon.history(),
            coupon.outbox(),
            "1",
            "k-__rand_int__",
            "u-__rand_int__",
            "o-__rand_int__",
            Long.toString(RedemptionRequests.ORDER_AMOUNT_CENTS),
            "86400000"));
  }

  /**
   * Runs {@code requests} calls of {@code command} (its arguments may hold {@code __rand_int__},
   * each drawn out of two billion) on {@code connections} connections, one at a time on each.
   */
  public static Result run(URI redis, int connections, long requests, List<String> command) {
    List<String> line = new ArrayList<>();
    line.add("redis-benchmark");
    line.addAll(List.of("-h", redis.getHost(), "-p", Integer.toString(port(redis))));
    if (redis.getUserInfo() != null && !redis.getUserInfo().isEmpty()) {
      String info = redis.getUserInfo();
      line.addAll(List.of("-a", info.substring(info.indexOf(':') + 1)));
    }
    line.addAll(
        List.of(
            "-c",
            Integer.toString(connections),
            "-P",
            "1",
            "-n",
            Long.toString(requests),
            "-r",
            "2000000000",
            "--csv"));
    line.addAll(command);
    String output = Tools.run(line, TimeUnit.MINUTES.toMillis(5));
    String name = "\"" + command.get(0);
    for (String row : output.split("\r?\n")) {
      if (row.startsWith(name)) {
        String[] fields = row.split("\",\"");
        return new Result(
            requests,
            Double.parseDouble(fields[1].replace("\"", "")),
            Double.parseDouble(fields[4].replace("\"", "")));
      }
    }
    throw new IllegalStateException("redis-benchmark printed no result:\n" + output);
  }

  private static int port(URI redis) {
    return redis.getPort() > 0 ? redis.getPort() : 6379;
  }

  /** Running external tools. */
  public static final class Tools {
    private Tools() {}

    public static boolean onPath(String tool) {
      String path = System.getenv("PATH");
      if (path == null) {
        return false;
      }
      for (String dir : path.split(java.io.File.pathSeparator)) {
        if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, tool))) {
          return true;
        }
      }
      return false;
    }

    /** Runs a command to its end and returns its output; fails on a non-zero exit. */
    static String run(List<String> command, long timeoutMillis) {
      try {
        java.nio.file.Path output = java.nio.file.Files.createTempFile("couponflow-bench", ".out");
        try {
          Process p =
              new ProcessBuilder(command)
                  .redirectErrorStream(true)
                  .redirectOutput(output.toFile())
                  .start();
          if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command.get(0) + " did not finish in time");
          }
          String text = java.nio.file.Files.readString(output, StandardCharsets.UTF_8);
          if (p.exitValue() != 0) {
            throw new IllegalStateException(
                String.format(
                    Locale.ROOT, "%s exited with %d:%n%s", command.get(0), p.exitValue(), text));
          }
          return text;
        } finally {
          java.nio.file.Files.deleteIfExists(output);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot run " + command.get(0), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      }
    }
  }
}
