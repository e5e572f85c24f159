package io.couponflow.ops;

import io.couponflow.core.Await;
import io.couponflow.core.live.RedisCalls;
import io.couponflow.core.reverse.Reversal;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sink.MySqlUnavailableException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code coupons reverse}: the reversal (冲正) of one redemption, core's {@link Reversal} as over
 * HTTP; the entry is stored in MySQL at once.
 */
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
    if (reason != null && reason.codePointCount(0, reason.length()) > Reversal.MAX_REASON) {
      throw new OpsException(
          "--reason: "
              + reason.codePointCount(0, reason.length())
              + " characters (expected: at most "
              + Reversal.MAX_REASON
              + ")",
          2);
    }
    String why = reason == null || reason.isEmpty() ? null : reason;
    Reversal.Result<String> result =
        Await.join(
            new Reversal<>(
                    context.functions(), RedisCalls.DIRECT, context.liveCoupons(), this::store)
                .reverse(id, why, context.operator()));
    ReverseOutcome outcome = result.outcome();
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
    String mysql = result.recorded().orElse("UNCHANGED (already reversed)");
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
   * The reversal's recorder: stores the entry in MySQL now (off the Redis client's threads), or
   * says why it is left to the sweeper.
   */
  private CompletableFuture<String> store(Reversal.Entry reversal) {
    return CompletableFuture.supplyAsync(() -> store(reversal.outboxEntry()), context.blocking());
  }

  private String store(OutboxEntry entry) {
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
