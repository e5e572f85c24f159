package io.couponflow.config;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where Redis is and how couponflow names its keys there.
 *
 * @param uris one URI for a single Redis, several for Redis Cluster (COUPON_REDIS_URI, comma
 *     separated)
 * @param prefix the first part of every key (COUPON_REDIS_PREFIX); tests use one of their own
 * @param commandTimeout how long one Redis command may take before it fails (COUPON_REDIS_TIMEOUT)
 * @param repairSettle how old a Redis node's incarnation (its start, or its promotion) must be
 *     before a coupon fenced by it is repaired from MySQL (COUPON_REPAIR_SETTLE): longer than the
 *     sink needs to store what a gateway accepted just before Redis lost it
 */
public record RedisSettings(
    List<URI> uris, String prefix, Duration commandTimeout, Duration repairSettle) {
  public static final Duration DEFAULT_REPAIR_SETTLE = Duration.ofSeconds(2);
  public static final String DEFAULT_URI = "redis://127.0.0.1:6379";
  public static final String DEFAULT_PREFIX = "cf";
  private static final Pattern PREFIX = Pattern.compile("[a-z0-9_-]{1,32}");

  /** Refuses settings that make no sense, naming the variable. */
  public RedisSettings {
    uris = List.copyOf(uris);
    Objects.requireNonNull(prefix, "COUPON_REDIS_PREFIX");
    Env.require(
        "COUPON_REDIS_TIMEOUT", commandTimeout, Duration.ofMillis(10), Duration.ofMinutes(1));
    Env.require("COUPON_REPAIR_SETTLE", repairSettle, Duration.ZERO, Duration.ofMinutes(10));
    if (uris.isEmpty()) {
      throw new ConfigException("COUPON_REDIS_URI: no URI given");
    }
    if (!PREFIX.matcher(prefix).matches()) {
      throw new ConfigException(
          "COUPON_REDIS_PREFIX: '" + prefix + "' (expected: 1-32 characters of a-z 0-9 _ -)");
    }
  }

  public static RedisSettings from(Env env) {
    String raw = env.string("COUPON_REDIS_URI", DEFAULT_URI);
    List<URI> uris = new ArrayList<>();
    for (String part : raw.split(",", -1)) {
      if (part.isBlank()) {
        throw new ConfigException("COUPON_REDIS_URI: '" + raw + "' has an empty entry");
      }
      uris.add(
          Env.of(java.util.Map.of("COUPON_REDIS_URI", part.trim()))
              .uri("COUPON_REDIS_URI", DEFAULT_URI, "redis", "rediss"));
    }
    return new RedisSettings(
        uris,
        env.string("COUPON_REDIS_PREFIX", DEFAULT_PREFIX),
        env.duration("COUPON_REDIS_TIMEOUT", Duration.ofSeconds(1)),
        env.duration("COUPON_REPAIR_SETTLE", DEFAULT_REPAIR_SETTLE));
  }

  public static RedisSettings of(String uri, String prefix) {
    List<URI> uris = new ArrayList<>();
    for (String part : uri.split(",")) {
      uris.add(URI.create(part.trim()));
    }
    return new RedisSettings(uris, prefix, Duration.ofSeconds(2), DEFAULT_REPAIR_SETTLE);
  }

  /** Whether these settings select Redis Cluster. */
  public boolean cluster() {
    return uris.size() > 1;
  }

  public RedisSettings withRepairSettle(Duration settle) {
    return new RedisSettings(uris, prefix, commandTimeout, settle);
  }

  public RedisSettings withPrefix(String newPrefix) {
    return new RedisSettings(uris, newPrefix, commandTimeout, repairSettle);
  }

  /** The URIs as the operator wrote them, for messages. */
  public String describe() {
    return String.join(",", uris.stream().map(URI::toString).toList());
  }
}
