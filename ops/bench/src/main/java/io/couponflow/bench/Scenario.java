package io.couponflow.bench;

import java.util.Arrays;
import java.util.stream.Collectors;

/** The scenarios {@code --scenarios} chooses from, by the names the report gives them. */
enum Scenario {
  S0("S0"),
  S0_REF("S0-ref"),
  S1("S1"),
  S2("S2"),
  S3("S3"),
  S4("S4"),
  S5("S5"),
  S6("S6"),
  H("H"),
  S1_LAUNCHER("S1-launcher"),
  FENCE("fence");

  private final String label;

  Scenario(String label) {
    this.label = label;
  }

  String label() {
    return label;
  }

  /** By its label or constant name, in any case ("S0-ref", "s0_ref", "fence"). */
  static Scenario parse(String text) {
    for (Scenario s : values()) {
      if (s.label.equalsIgnoreCase(text) || s.name().equalsIgnoreCase(text)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "unknown scenario '" + text + "' (expected one of " + labels() + ")");
  }

  static String labels() {
    return Arrays.stream(values()).map(Scenario::label).collect(Collectors.joining(","));
  }

  @Override
  public String toString() {
    return label;
  }
}
