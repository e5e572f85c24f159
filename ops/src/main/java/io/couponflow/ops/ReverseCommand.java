package io.couponflow.ops;

import io.couponflow.core.live.CouponRepair;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sink.MySqlUnavailableException;
import java.io.PrintWriter;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code coupons reverse}: the reversal (冲正) of one redemption, exactly as over HTTP. */
@Command(
    name = "reverse",
    mixinStandardHelpOptions = true,
    description = {
      "Reverse one redemption (冲正): its stock, the user's quota and the order's slot come back"
          + " atomically in Redis (cf_reverse), as POST /v1/redemptions/{id}/reversal does."
          + " Reversing again changes nothing.",
      "The reversal is then stored in MySQL at once through the sink's batch writer; when MySQL"
          + " is down, or the redemption itself is not in MySQL yet, it stays in the Redis outbox"
          + " and the gateways' outbox sweeper stores it.",
      ""
    })
final class ReverseCommand implements Callable<Integer> {
  static final int MAX_REASON = 256;

  private final OpsContext context;
  private final PrintWriter out;

  @Parameters(
      paramLabel = "REDEMPTION_ID",
      description = "The redemption, e.g. 42.SO-123.1 (<coupon>.<order>.<generation>).")
  String redemptionId;

  @Option(names = "--reason", description = "Why (at most 256 characters), kept in MySQL.")
  String reason;

  @Mixin JsonOption json;

  ReverseCommand(OpsContext context, PrintWriter out) {
    this.context = context;
    this.out = out;
  }

  @Override
  public Integer call() {
    RedemptionId id =
        RedemptionId.parse(redemptionId)
            .orElseThrow(
                () ->
                    new OpsException(
                        "'"
                            + redemptionId
                            + "' is not a redemption id (expected <coupon>.<order>.<generation>,"
                            + " e.g. 42.SO-123.1)",
                        2));
    if (reason != null && reason.codePointCount(0, reason.length()) > MAX_REASON) {
      throw new OpsException(
          "--reason: "
              + reason.codePointCount(0, reason.length())
              + " characters (expected: at most "
              + MAX_REASON
              + ")",
          2);
    }
    String why = reason == null || reason.isEmpty() ? null : reason;
    ReverseOutcome outcome = reverse(id, why);
    if (outcome instanceof ReverseOutcome.CouponMissing) {
      throw new OpsException(
          "redemption " + id + " does not exist (no coupon " + id.couponId() + ")");
    }
    if (outcome instanceof ReverseOutcome.Fenced) {
      throw new OpsException(
          "coupon "
              + id.couponId()
              + " is fenced (Redis restarted or failed over) and its repair from MySQL has not"
              + " finished; nothing was reversed, try again shortly");
    }
    if (!(outcome instanceof ReverseOutcome.Reversed reversed)) {
      throw new OpsException("redemption " + id + " does not exist");
    }
    String mysql = reversed.replayed() ? "UNCHANGED (already reversed)" : store(reversed, why);
    context.publishChanged(id.couponId());
    Redemption r = reversed.redemption();
    new Output(out, json.json)
        .record(
            Output.fields(
                "redemptionId", r.redemptionId().toString(),
                "couponId", r.couponId(),
                "userId", r.userId(),
                "orderId", r.orderId(),
                "orderAmountCents", r.orderAmountCents(),
                "discountCents", r.discountCents(),
                "status", r.status().name(),
                "acceptedAt", r.acceptedAt().toString(),
                "reversedAt", r.reversedAt().toString(),
                "replayed", reversed.replayed(),
                "mysql", mysql));
    return 0;
  }

  /**
   * Reverses like the gateway does: when Redis does not hold the coupon (not loaded yet, or lost),
   * it is loaded from MySQL with its redemption records first, then the reversal runs; when Redis
   * answers that the coupon is fenced, it is repaired from MySQL and the reversal runs once more.
   */
  private ReverseOutcome reverse(RedemptionId id, String why) {
    ReverseOutcome outcome = reverseOnce(id, why);
    if (outcome instanceof ReverseOutcome.Fenced && repaired(id.couponId())) {
      return reverseOnce(id, why);
    }
    return outcome;
  }

  private ReverseOutcome reverseOnce(RedemptionId id, String why) {
    Optional<LiveCoupon> live = OpsContext.await(context.functions().coupon(id.couponId()));
    if (live.isPresent()) {
      ReverseOutcome outcome =
          OpsContext.await(context.functions().reverse(id, live.get().buckets(), why));
      if (!(outcome instanceof ReverseOutcome.CouponMissing)) {
        return outcome;
      }
    }
    Optional<Coupon> coupon = context.findCoupon(id.couponId());
    if (coupon.isEmpty()) {
      return new ReverseOutcome.CouponMissing();
    }
    makeLive(coupon.get());
    return OpsContext.await(context.functions().reverse(id, coupon.get().buckets(), why));
  }

  /** Whether the fenced coupon's repair ran (a failed one leaves it fenced: the caller says so). */
  private boolean repaired(long couponId) {
    try {
      context.findCoupon(couponId).ifPresent(this::makeLive);
      return true;
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Makes the coupon live, waiting while a Redis node that restarted moments ago settles. */
  private void makeLive(Coupon coupon) {
    CouponRepair repair = new CouponRepair(context.functions(), context.database().sessions());
    repair.makeLiveWaiting(coupon, repair.settleBound());
  }

  /** Stores the reversal's outbox entry in MySQL now, or says why it is left to the sweeper. */
  private String store(ReverseOutcome.Reversed reversed, String why) {
    OutboxEntry entry = OutboxEntry.reversed(reversed.outboxId(), reversed.redemption(), why);
    try {
      BatchWriter.Report report = context.writer().write(List.of(entry));
      if (report.stored() == 1) {
        return "STORED";
      }
      if (report.deferred() == 1) {
        return "PENDING (the redemption is not in MySQL yet; the outbox sweeper stores both)";
      }
      return "DEAD_LETTER (see 'coupons outbox')";
    } catch (MySqlUnavailableException e) {
      return "PENDING (MySQL is unavailable; the outbox sweeper stores it)";
    }
  }
}
