package io.couponflow.ops.reconcile;

import io.couponflow.lua.Counters;
import java.util.List;

/**
 * What {@link Diagnose} made of one read.
 *
 * @param findings what disagrees, with causes, and notes (an oversold coupon)
 * @param expected the counters MySQL and the outbox imply (rows plus pending entries); null when
 *     Redis or MySQL does not hold the coupon
 * @param actions what {@code --apply} does about it, in order
 */
public record Diagnosis(List<Finding> findings, Counters expected, List<Action> actions) {

  public Diagnosis {
    findings = List.copyOf(findings);
    actions = List.copyOf(actions);
  }

  /** Whether nothing drifts (notes aside). */
  public boolean consistent() {
    return findings.stream().noneMatch(Finding::drift);
  }

  public boolean has(Finding.Kind kind) {
    return findings.stream().anyMatch(f -> f.kind() == kind);
  }

  /** Whether another read shows the same drift ({@link Finding#settled}). */
  public boolean agreesWith(Diagnosis other) {
    return settled().equals(other.settled());
  }

  private List<Object> settled() {
    return findings.stream().filter(Finding::drift).map(Finding::settled).toList();
  }
}
