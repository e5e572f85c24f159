package io.couponflow.bench.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A closed-loop load made by {@code wrk} (C, event driven: it leaves more of a small machine to the
 * gateway and Redis than a JVM client does). A Lua script gives every request a key, user and order
 * of its own, the same shape {@link RedemptionRequests} makes.
 */
public final class Wrk {
  private static final Pattern RESULT =
      Pattern.compile("WRK_RESULT requests=(\\d+) micros=(\\d+) non2xx=(\\d+) errors=(\\d+)");

  /**
   * What wrk reported.
   *
   * @param non2xx answers with a status outside 2xx and 3xx
   * @param socketErrors connect, read, write and timeout errors: requests whose answer may be lost
   * @param connections requests that were in flight when wrk stopped (at most one per connection);
   *     Redis may have accepted them
   */
  public record Result(
      long requests, long non2xx, long socketErrors, long connections, Duration elapsed) {}

  private Wrk() {}

  public static boolean available() {
    return RedisBenchmark.Tools.onPath("wrk");
  }

  /** Runs wrk with one thread and {@code connections} connections for {@code duration}. */
  public static Result run(
      String host,
      int port,
      RedemptionRequests requests,
      int connections,
      Duration duration,
      Path workDir) {
    Path script;
    try {
      Files.createDirectories(workDir);
      script = Files.createTempFile(workDir, "wrk-", ".lua");
      Files.writeString(script, script(requests), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the wrk script", e);
    }
    try {
      String output =
          RedisBenchmark.Tools.run(
              List.of(
                  "wrk",
                  "-t1",
                  "-c" + connections,
                  "-d" + Math.max(1, duration.toSeconds()) + "s",
                  "--timeout",
                  "10s",
                  "-s",
                  script.toString(),
                  "http://" + host + ":" + port + "/v1/redemptions"),
              duration.toMillis() + TimeUnit.SECONDS.toMillis(60));
      Matcher m = RESULT.matcher(output);
      if (!m.find()) {
        throw new IllegalStateException("wrk printed no result:\n" + output);
      }
      return new Result(
          Long.parseLong(m.group(1)),
          Long.parseLong(m.group(3)),
          Long.parseLong(m.group(4)),
          connections,
          Duration.ofNanos(Long.parseLong(m.group(2)) * 1000));
    } finally {
      try {
        Files.deleteIfExists(script);
      } catch (IOException e) {
        // a leftover script in the results folder is harmless
      }
    }
  }

  static String script(RedemptionRequests requests) {
    return String.format(
        Locale.ROOT,
        """
        local coupon = "%d"
        local tag = "%s"
        local amount = "%d"
        local n = 0
        wrk.method = "POST"
        wrk.headers["Content-Type"] = "application/json"
        request = function()
          n = n + 1
          local id = tag .. "-" .. n
          wrk.headers["Idempotency-Key"] = "k-" .. id
          local body = '{"couponId":' .. coupon .. ',"userId":"u-' .. id .. '","orderId":"o-' .. id
            .. '","orderAmountCents":' .. amount .. '}'
          return wrk.format(nil, nil, nil, body)
        end
        done = function(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("WRK_RESULT requests=%%d micros=%%d non2xx=%%d errors=%%d\\n",
            summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout))
        end
        """,
        requests.couponId(),
        requests.tag(),
        RedemptionRequests.ORDER_AMOUNT_CENTS);
  }
}
