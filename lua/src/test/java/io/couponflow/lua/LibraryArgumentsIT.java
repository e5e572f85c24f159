package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.RedisSnapshot;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library's argument checks, one regression test per finding of the fuzzing pass ({@link
 * LibraryArgumentsFuzzIT}): each bad call is answered by an error reply that starts with {@code
 * couponflow:} and names the argument or key, and changes nothing.
 */
class LibraryArgumentsIT {
  private static final AtomicLong IDS = new AtomicLong();
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(LibraryArgumentsIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  private static Coupon live(TestCoupons builder) {
    Coupon c = builder.build();
    join(functions.load(c, 0, 0));
    return c;
  }

  private static String meta(Coupon c) {
    return CouponKeys.meta(redis.prefix(), c.couponId());
  }

  /** The error reply of a call, or a failure when it succeeds. */
  private static String refusal(String function, String[] keys, String... args) {
    try {
      Object reply =
          join(redis.redis().commands().fcall(function, ScriptOutputType.MULTI, keys, args));
      throw new AssertionError(function + " answered " + reply + " instead of refusing");
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof RedisCommandExecutionException refused) {
        return refused.getMessage();
      }
      throw e;
    }
  }

  /** Calls, expects a refusal naming {@code named}, and that nothing under the prefix changed. */
  private static void assertRefusedUnchanged(
      String named, String function, String[] keys, String... args) {
    RedisSnapshot before = redis.snapshot();

    String error = refusal(function, keys, args);

    assertThat(error).startsWith("couponflow: ").contains(named);
    assertThat(before.changesTo(redis.snapshot())).isEmpty();
  }

  @Test
  void refusal_isAnErrorReplyThatStartsWithTheLibrarysName() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    String[] keys = {
      k.meta(), k.users("u"), k.orders("o"), k.idempotency("k"), k.history(), k.outbox()
    };

    assertThat(refusal("cf_redeem", keys, "1", "k", "u", "o", "1.5", "86400000"))
        .startsWith("couponflow: argument 5 (orderAmountCents) must be a whole number");
    assertRefusedUnchanged(
        "argument 4 (limit)", "cf_load", new String[] {meta(c)}, "2", "n", "10", "0");
  }
}
