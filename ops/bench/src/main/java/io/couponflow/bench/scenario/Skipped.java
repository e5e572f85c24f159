package io.couponflow.bench.scenario;

/**
 * A scenario that could not run here, and why (a tool missing, a file missing).
 *
 * @param figure what it would have measured
 */
public record Skipped(String scenario, String figure, String reason) implements Measurement {}
