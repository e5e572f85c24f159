package io.couponflow.bench.scenario;

import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.InvariantViolation;
import io.couponflow.bench.rig.Sleep;
import java.util.Locale;

/** The checks every gateway load ends with (the coupon's own are in {@link BenchEnvironment}). */
final class Invariants {
  private Invariants() {}

  /**
   * Checks that Redis accepted exactly the 201s the load saw (or, for requests whose answer was
   * lost, at most that many more) and that no answer was a 5xx.
   *
   * @return redemptions Redis accepted during the load
   */
  static long acceptedDuring(
      BenchEnvironment env, String scenario, long couponId, long acceptedBefore, Throughput t) {
    long accepted = settled(env, scenario, couponId) - acceptedBefore;
    if (accepted < t.created() || accepted > t.created() + t.unknown()) {
      throw new InvariantViolation(
          String.format(
              Locale.ROOT,
              "%s: Redis accepted %,d redemptions of coupon %d, the clients saw %,d answered 201"
                  + " (%,d answers unknown)",
              scenario,
              accepted,
              couponId,
              t.created(),
              t.unknown()));
    }
    if (t.serverErrors() > 0) {
      throw new IllegalStateException(
          scenario + ": " + t.serverErrors() + " answers were 5xx; see the gateway log");
    }
    return accepted;
  }

  /**
   * The coupon's accepted count once it stops moving: requests that were in flight when the load
   * ended (wrk drops their connections) are still decided by Redis a moment later.
   */
  private static long settled(BenchEnvironment env, String scenario, long couponId) {
    long last = env.checkRedis(scenario, couponId).accepted();
    for (int i = 0; i < 50; i++) {
      Sleep.millis(100);
      long now = env.checkRedis(scenario, couponId).accepted();
      if (now == last) {
        return now;
      }
      last = now;
    }
    return last;
  }
}
