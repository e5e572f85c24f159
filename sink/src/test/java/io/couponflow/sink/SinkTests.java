package io.couponflow.sink;

import io.couponflow.config.Env;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.OutboxEntry;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.testkit.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** What the sink's integration tests share: coupons, settings, and accepts made in Redis. */
final class SinkTests {
  private SinkTests() {}

  static Coupon coupon(long id, long stock) {
    Instant now = Instant.now();
    return new Coupon(
        id,
        "sink " + id,
        stock,
        1,
        0,
        100,
        now.minusSeconds(60),
        now.plusSeconds(3600),
        CouponStatus.ACTIVE,
        false,
        Coupon.bucketsFor(stock),
        1);
  }

  /** Settings read the way a process reads them, with test-sized defaults. */
  static SinkSettings settings(String... nameValuePairs) {
    Map<String, String> env = new HashMap<>();
    env.put("COUPON_SINK_BATCH_SIZE", "100");
    env.put("COUPON_SINK_LINGER", "1ms");
    env.put("COUPON_SWEEP_INTERVAL", "200ms");
    env.put("COUPON_SWEEP_MIN_AGE", "300ms");
    for (int i = 0; i + 1 < nameValuePairs.length; i += 2) {
      env.put(nameValuePairs[i], nameValuePairs[i + 1]);
    }
    return SinkSettings.from(Env.of(env));
  }

  /**
   * Redeems {@code count} times in Redis, one user and order each ({@code tag} keeps keys apart),
   * and returns the outbox entries cf_redeem appended, in order.
   */
  static List<OutboxEntry> accept(CouponFunctions functions, Coupon c, String tag, int count) {
    List<CompletableFuture<OutboxEntry>> calls = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      RedeemRequest request =
          new RedeemRequest(
              c.couponId(), tag + "-k-" + i, tag + "-u-" + i, tag + "-SO-" + i, 1_000 + i);
      calls.add(
          functions
              .redeem(request, c.buckets())
              .thenApply(
                  outcome -> {
                    RedeemOutcome.Accepted a = (RedeemOutcome.Accepted) outcome;
                    return OutboxEntry.accepted(
                        a.outboxId(), a.redemption(), request.idempotencyKey());
                  }));
    }
    return calls.stream().map(CompletableFuture::join).toList();
  }

  static long pending(CouponFunctions functions, long couponId) {
    return functions.inspect(couponId).join().orElseThrow().pending();
  }

  static long rows(TestDatabase db, long couponId) {
    return db.queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = " + couponId);
  }

  static Duration seconds(long s) {
    return Duration.ofSeconds(s);
  }
}
