package io.couponflow.bench.scenario;

/**
 * What one scenario measured, as a value: each scenario's {@code Result} record, or {@link
 * Skipped}. The report renders them; the runner hands them to the scenarios that build on them.
 */
public interface Measurement {
  /** The scenario's name in the report and in the JSON ("S0", "S0-ref", "H", ...). */
  String scenario();
}
