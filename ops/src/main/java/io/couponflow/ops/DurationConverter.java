package io.couponflow.ops;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Reads a duration option the way COUPON_* durations are written: 250ms, 5s, 10m, 24h, PT5S. */
final class DurationConverter implements ITypeConverter<Duration> {
  private static final Duration MAX = Duration.ofDays(365);

  @Override
  public Duration convert(String value) {
    try {
      return Env.of(Map.of("duration", value))
          .duration("duration", Duration.ZERO, Duration.ZERO, MAX);
    } catch (ConfigException e) {
      throw new TypeConversionException(
          "'" + value + "' is not a duration (expected e.g. 0s, 250ms, 5s, 10m)");
    }
  }
}
