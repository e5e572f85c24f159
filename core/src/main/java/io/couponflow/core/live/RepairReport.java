package io.couponflow.core.live;

import io.couponflow.lua.Counters;
import io.couponflow.model.RedemptionId;
import java.util.List;

/**
 * What a repair found and did to one coupon, as values: the CLI and the logs render them.
 *
 * @param restored redemptions MySQL holds that Redis had lost, now back in Redis with their user
 *     count, order slot and idempotency key
 * @param reversalsRestored redemptions MySQL records as reversed that Redis still held as accepted
 * @param keysRestored idempotency keys put back
 * @param userCountsFixed users whose count of accepted redemptions was corrected
 * @param pendingInOutbox redemptions Redis decided that are still in its outbox on their way to
 *     MySQL (normal; the sink stores them)
 * @param onlyInRedis redemptions Redis records that MySQL holds neither as a row nor in the outbox
 *     (a row deleted from MySQL, or one still in a gateway's queue); kept, and listed so that
 *     reconcile can write their rows
 * @param contradictions redemptions, keys or orders on which Redis and MySQL disagree; MySQL's
 *     version is kept
 * @param counters the counters the coupon went live with
 * @param oversoldBy how many accepted redemptions exceed the coupon's total stock (0 unless an
 *     older version, or a fault this service does not survive, oversold it); stock is then 0
 */
public record RepairReport(
    List<RedemptionId> restored,
    List<RedemptionId> reversalsRestored,
    int keysRestored,
    int userCountsFixed,
    int pendingInOutbox,
    List<RedemptionId> onlyInRedis,
    List<Contradiction> contradictions,
    Counters counters,
    long oversoldBy) {

  public RepairReport {
    restored = List.copyOf(restored);
    reversalsRestored = List.copyOf(reversalsRestored);
    onlyInRedis = List.copyOf(onlyInRedis);
    contradictions = List.copyOf(contradictions);
  }

  /** Whether the repair had to change anything but the epoch. */
  public boolean changedAnything() {
    return !restored.isEmpty()
        || !reversalsRestored.isEmpty()
        || keysRestored > 0
        || userCountsFixed > 0
        || !contradictions.isEmpty();
  }

  /** Redis and MySQL disagree about one thing. */
  public record Contradiction(Kind kind, String subject, String mysql, String redis) {}

  public enum Kind {
    /** One redemption id with other facts (user, amount, discount, acceptedAt). */
    REDEMPTION,
    /** One idempotency key leading to different redemptions. */
    KEY,
    /** An order holding more than one accepted redemption. */
    ORDER,
    /** An outbox entry MySQL holds under another idempotency key (the sink dead-letters it). */
    OUTBOX
  }
}
