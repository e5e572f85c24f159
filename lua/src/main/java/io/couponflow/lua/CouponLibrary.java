package io.couponflow.lua;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The couponflow Functions library ({@code couponflow.lua}) and its version check: every process
 * that calls it first makes sure each master holds this version or a newer one.
 */
public final class CouponLibrary {
  public static final String NAME = "couponflow";
  private static final Logger log = LoggerFactory.getLogger(CouponLibrary.class);
  private static final String SOURCE = readSource();
  private static final int VERSION = parseVersion(SOURCE);

  private CouponLibrary() {}

  /** The library's Lua source, as loaded with FUNCTION LOAD. */
  public static String source() {
    return SOURCE;
  }

  /** The version this build carries ({@code LIBRARY_VERSION} in the source). */
  public static int version() {
    return VERSION;
  }

  /**
   * Loads the library on every master where it is missing or older than this build's; leaves a
   * newer one alone (a newer build got there first).
   *
   * @return the version found on each master before loading, 0 where there was none
   */
  public static CompletableFuture<List<Integer>> ensureLoaded(RedisStore redis) {
    return redis.onEveryMaster(CouponLibrary::ensureLoadedOn);
  }

  private static CompletableFuture<Integer> ensureLoadedOn(
      RedisClusterAsyncCommands<String, String> node) {
    return installedVersion(node)
        .thenCompose(
            found -> {
              if (found >= VERSION) {
                if (found > VERSION) {
                  log.warn(
                      "Redis holds couponflow library version {}, newer than this build's {}; using it",
                      found,
                      VERSION);
                }
                return CompletableFuture.completedFuture(found);
              }
              return node.functionLoad(SOURCE, true)
                  .toCompletableFuture()
                  .thenApply(
                      name -> {
                        log.info(
                            "Loaded couponflow library version {} (found {})",
                            VERSION,
                            found == 0 ? "none" : found);
                        return found;
                      });
            });
  }

  /**
   * The library version on every master, 0 where it is not loaded; a master that cannot be asked
   * within {@code timeout} (unreachable, or any other failure) has that failure as its reply.
   */
  public static CompletableFuture<List<RedisStore.MasterReply<Integer>>> versions(
      RedisStore redis, Duration timeout) {
    return redis.askEveryMaster(
        node -> installedVersion(node).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS));
  }

  /** The library version on one node, 0 when it is not loaded. */
  static CompletableFuture<Integer> installedVersion(
      RedisClusterAsyncCommands<String, String> node) {
    return node.<Long>fcallReadOnly("cf_version", ScriptOutputType.INTEGER, new String[0])
        .toCompletableFuture()
        .thenApply(Long::intValue)
        .exceptionallyCompose(
            e -> {
              Throwable cause = RedisReplies.unwrap(e);
              if (RedisReplies.isFunctionMissing(cause)) {
                return CompletableFuture.completedFuture(0);
              }
              return CompletableFuture.failedFuture(cause);
            });
  }

  private static String readSource() {
    try (InputStream in = CouponLibrary.class.getResourceAsStream("couponflow.lua")) {
      if (in == null) {
        throw new IllegalStateException("couponflow.lua is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static int parseVersion(String source) {
    Matcher m = Pattern.compile("local LIBRARY_VERSION = (\\d+)").matcher(source);
    if (!m.find()) {
      throw new IllegalStateException("couponflow.lua has no LIBRARY_VERSION");
    }
    return Integer.parseInt(m.group(1));
  }
}
