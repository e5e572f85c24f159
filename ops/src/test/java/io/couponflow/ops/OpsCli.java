package io.couponflow.ops;

import io.couponflow.config.Env;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.sink.BatchWriter;
import io.couponflow.sink.Sink;
import io.couponflow.sink.SinkSettings;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;

/** Runs {@code ops/coupons} command lines in-process against a test database and key prefix. */
public final class OpsCli {
  /** What one command line printed and returned. */
  public record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out:\n" + out + "--- err:\n" + err;
    }
  }

  private final Env env;
  private final CouponFunctions functions;
  private final BatchWriter writer;

  public OpsCli(TestDatabase db, RedisFixture redis) {
    this(db, redis, TestSettings.redisUri());
  }

  /** Against the Redis at {@code redisUri} (a comma-separated list selects a cluster). */
  public OpsCli(TestDatabase db, RedisFixture redis, String redisUri) {
    this.env =
        Env.of(
            Map.of(
                "COUPON_JDBC_URL", db.settings().url(),
                "COUPON_JDBC_USER", db.settings().user(),
                "COUPON_JDBC_PASSWORD", db.settings().password(),
                "COUPON_REDIS_URI", redisUri,
                "COUPON_REDIS_PREFIX", redis.prefix()));
    this.functions = redis.functions();
    this.writer =
        Sink.standaloneWriter(
            SinkSettings.defaults(), db.database(), functions, new SimpleMeterRegistry());
  }

  public Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = OpsMain.run(env, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Result(exit, out.toString(), err.toString());
  }

  /** Creates a coupon live at once, valid from an hour ago for a day. */
  public Result create(long id, long stock, int perUser) {
    return run(
        "coupon",
        "create",
        "--id",
        Long.toString(id),
        "--name",
        "coupon " + id,
        "--stock",
        Long.toString(stock),
        "--per-user",
        Integer.toString(perUser),
        "--threshold-cents",
        "1000",
        "--discount-cents",
        "500",
        "--starts-at",
        java.time.Instant.now().minusSeconds(3600).toString(),
        "--ends-at",
        java.time.Instant.now().plusSeconds(86_400).toString());
  }

  /** Redeems through cf_redeem, as a gateway would; the entry stays in the outbox. */
  public RedeemOutcome.Accepted redeem(long couponId, String user, String order) {
    RedeemOutcome outcome = redeemAny(couponId, user, order);
    if (!(outcome instanceof RedeemOutcome.Accepted accepted)) {
      throw new AssertionError("expected an accept of " + order + ", got " + outcome);
    }
    return accepted;
  }

  /** Redeems through cf_redeem and returns whatever Redis decided. */
  public RedeemOutcome redeemAny(long couponId, String user, String order) {
    int buckets = functions.coupon(couponId).join().orElseThrow().buckets();
    return functions
        .redeem(
            new RedeemRequest(couponId, "key-" + couponId + "-" + order, user, order, 5000),
            buckets)
        .join();
  }

  /** Stores accepted redemptions in MySQL and takes them out of the outbox, as the sink would. */
  public void store(List<RedeemOutcome.Accepted> accepted) {
    writer.write(
        accepted.stream()
            .map(
                a ->
                    OutboxEntry.accepted(
                        a.outboxId(),
                        a.redemption(),
                        "key-" + a.redemption().couponId() + "-" + a.redemption().orderId()))
            .toList());
  }

  public BatchWriter writer() {
    return writer;
  }
}
