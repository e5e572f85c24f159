package io.couponflow.config;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads of COUPON_* variables from a plain map (the process environment in production, a
 * literal map in tests). Every refusal is a {@link ConfigException} whose message starts with the
 * variable's name, so a process can print it and stop.
 *
 * <p>Thread-safety: immutable once built.
 */
public final class Env {
  private static final Pattern DURATION =
      Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)", Pattern.CASE_INSENSITIVE);

  private final Map<String, String> values;

  private Env(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** The process environment. */
  public static Env system() {
    return new Env(System.getenv());
  }

  public static Env of(Map<String, String> values) {
    return new Env(Objects.requireNonNull(values, "values"));
  }

  /** The raw value, or the default when the variable is unset or blank. */
  public String string(String name, String defaultValue) {
    String value = values.get(name);
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }

  /** The raw value, or empty when unset; a set-but-empty value stays empty (passwords). */
  public String secret(String name) {
    String value = values.get(name);
    return value == null ? "" : value;
  }

  public int integer(String name, int defaultValue, int min, int max) {
    long value = longValue(name, defaultValue, min, max);
    return (int) value;
  }

  /**
   * A whole number that fits an int, unchecked otherwise: for a config record whose compact
   * constructor holds the range ({@link #require(String, long, long, long)}).
   */
  public int integer(String name, int defaultValue) {
    return integer(name, defaultValue, Integer.MIN_VALUE, Integer.MAX_VALUE);
  }

  public long longValue(String name, long defaultValue, long min, long max) {
    String raw = values.get(name);
    if (raw == null || raw.isBlank()) {
      return defaultValue;
    }
    long value;
    try {
      value = Long.parseLong(raw.trim().replace("_", ""));
    } catch (NumberFormatException e) {
      throw new ConfigException(
          name
              + ": '"
              + raw
              + "' is not a whole number"
              + (min == Integer.MIN_VALUE && max == Integer.MAX_VALUE
                  ? ""
                  : " (expected: " + min + ".." + max + ")"));
    }
    return require(name, value, min, max);
  }

  /**
   * Refuses a value of the variable {@code name} outside {@code min..max}, in the words a read of
   * the variable uses: config records call it in their compact constructors.
   *
   * @return {@code value}
   * @throws ConfigException naming the variable
   */
  public static long require(String name, long value, long min, long max) {
    if (value < min || value > max) {
      throw new ConfigException(
          name + ": " + value + " is out of range (expected: " + min + ".." + max + ")");
    }
    return value;
  }

  /** {@link #require(String, long, long, long)} for a duration. */
  public static Duration require(String name, Duration value, Duration min, Duration max) {
    Objects.requireNonNull(value, name);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new ConfigException(
          name
              + ": "
              + human(value)
              + " is out of range (expected: "
              + human(min)
              + ".."
              + human(max)
              + ")");
    }
    return value;
  }

  public double decimal(String name, double defaultValue, double min, double max) {
    String raw = values.get(name);
    if (raw == null || raw.isBlank()) {
      return defaultValue;
    }
    double value;
    try {
      value = Double.parseDouble(raw.trim());
    } catch (NumberFormatException e) {
      throw new ConfigException(
          name + ": '" + raw + "' is not a number (expected: " + min + ".." + max + ")");
    }
    if (!(value >= min && value <= max)) {
      throw new ConfigException(
          name + ": " + raw.trim() + " is out of range (expected: " + min + ".." + max + ")");
    }
    return value;
  }

  public boolean bool(String name, boolean defaultValue) {
    String raw = values.get(name);
    if (raw == null || raw.isBlank()) {
      return defaultValue;
    }
    switch (raw.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> {
        return true;
      }
      case "false", "no", "off", "0" -> {
        return false;
      }
      default ->
          throw new ConfigException(
              name + ": '" + raw + "' is not a boolean (expected: true|false)");
    }
  }

  /**
   * A duration written as a number and a unit ({@code 250ms}, {@code 5s}, {@code 10m}, {@code 24h},
   * {@code 2d}) or in ISO-8601 ({@code PT5S}).
   */
  public Duration duration(String name, Duration defaultValue, Duration min, Duration max) {
    Duration value = duration(name, defaultValue);
    if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
      throw new ConfigException(
          name
              + ": "
              + string(name, human(value))
              + " is out of range (expected: "
              + human(min)
              + ".."
              + human(max)
              + ")");
    }
    return value;
  }

  /**
   * A duration, unchecked otherwise: for a config record whose compact constructor holds the range
   * ({@link #require(String, Duration, Duration, Duration)}).
   */
  public Duration duration(String name, Duration defaultValue) {
    String raw = values.get(name);
    if (raw == null || raw.isBlank()) {
      return defaultValue;
    }
    Duration value = parseDuration(raw.trim());
    if (value == null) {
      throw new ConfigException(
          name + ": '" + raw + "' is not a duration (expected e.g. 250ms, 5s, 10m, 24h, PT5S)");
    }
    return value;
  }

  /** One of the given words, compared without case; returned as given in {@code values}. */
  public String oneOf(String name, String defaultValue, String... values) {
    String raw = string(name, defaultValue);
    for (String v : values) {
      if (v.equalsIgnoreCase(raw)) {
        return v;
      }
    }
    throw new ConfigException(
        name + ": '" + raw + "' (expected one of: " + String.join(", ", values) + ")");
  }

  /** The log level every piece's logback configuration reads (COUPON_LOG_LEVEL). */
  public String logLevel(String defaultValue) {
    return oneOf(
        "COUPON_LOG_LEVEL", defaultValue, "TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");
  }

  /** A host name or address that resolves now. */
  public String host(String name, String defaultValue) {
    String raw = string(name, defaultValue);
    try {
      java.net.InetAddress.getByName(raw);
      return raw;
    } catch (java.net.UnknownHostException | SecurityException e) {
      throw new ConfigException(
          name + ": '" + raw + "' is not a host name or address that resolves");
    }
  }

  /** A URI with one of the given schemes. */
  public URI uri(String name, String defaultValue, String... schemes) {
    String raw = string(name, defaultValue);
    URI uri;
    try {
      uri = URI.create(raw);
    } catch (IllegalArgumentException e) {
      throw new ConfigException(name + ": '" + raw + "' is not a URI");
    }
    for (String scheme : schemes) {
      if (scheme.equalsIgnoreCase(uri.getScheme())) {
        return uri;
      }
    }
    throw new ConfigException(
        name
            + ": '"
            + raw
            + "' has scheme '"
            + uri.getScheme()
            + "' (expected: "
            + String.join("|", schemes)
            + ")");
  }

  static Duration parseDuration(String raw) {
    if (raw.startsWith("P") || raw.startsWith("p")) {
      try {
        Duration value = Duration.parse(raw.toUpperCase(Locale.ROOT));
        return value.isNegative() ? null : value;
      } catch (RuntimeException e) {
        return null;
      }
    }
    Matcher m = DURATION.matcher(raw);
    if (!m.matches()) {
      return null;
    }
    long amount = Long.parseLong(m.group(1));
    return switch (m.group(2).toLowerCase(Locale.ROOT)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      default -> Duration.ofDays(amount);
    };
  }

  /** A duration the way this class reads them back: {@code 250ms}, {@code 5s}, {@code 24h}. */
  public static String human(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0 && ms > 0) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0 && ms > 0) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0 && ms > 0) {
      return ms / 60_000L + "m";
    }
    if (ms % 1000L == 0 && ms > 0) {
      return ms / 1000L + "s";
    }
    return ms + "ms";
  }
}
