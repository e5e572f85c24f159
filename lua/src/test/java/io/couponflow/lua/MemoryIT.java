package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How many bytes Redis keeps per accepted redemption once its outbox entry is gone: the user's
 * count, the order's record and the idempotency key, each in a bucket hash. Measured on a private
 * Redis with default settings, so nothing else moves its memory.
 */
class MemoryIT {
  private static final int N = 20_000;
  private static final long GOAL_BYTES = 200;
  private static PrivateRedis server;
  private static RedisFixture redis;

  @BeforeAll
  static void start() {
    server = PrivateRedis.launch();
    redis = RedisFixture.create(server.uri(), MemoryIT.class);
  }

  @AfterAll
  static void stop() {
    redis.close();
    server.close();
  }

  @Test
  void acceptedRedemption_withItsOutboxEntryGone_keepsAtMost200BytesInRedis() {
    CouponFunctions functions = redis.functions();
    Coupon c = coupon(42).stock(N).limit(1).threshold(0).build();
    join(functions.load(c, 0, 0, Duration.ZERO));
    long memoryBefore = usedMemory();
    long keysBefore = keyBytes(c);

    Random random = new Random(7);
    Semaphore window = new Semaphore(256);
    List<CompletableFuture<RedeemOutcome>> calls = new ArrayList<>(N);
    for (int i = 0; i < N; i++) {
      RedeemRequest request =
          new RedeemRequest(
              c.couponId(),
              new UUID(random.nextLong(), random.nextLong()).toString(),
              "u-" + (100_000 + i),
              "SO-" + (10_000_000 + i),
              10_000 + random.nextInt(90_000));
      window.acquireUninterruptibly();
      calls.add(functions.redeem(request, c.buckets()).whenComplete((r, e) -> window.release()));
    }
    calls.forEach(f -> assertThat(join(f)).isInstanceOf(RedeemOutcome.Accepted.class));
    drainOutbox(functions, c.couponId());

    long keyBytes = keyBytes(c) - keysBefore;
    long memory = usedMemory() - memoryBefore;
    double perRedemption = (double) keyBytes / N;
    double perRedemptionUsed = (double) memory / N;
    System.out.printf(
        "MemoryIT: %d redemptions, %d buckets: MEMORY USAGE sum %.1f bytes each,"
            + " INFO used_memory delta %.1f bytes each%n",
        N, c.buckets(), perRedemption, perRedemptionUsed);

    assertThat(join(functions.coupon(c.couponId())).orElseThrow().accepted()).isEqualTo(N);
    assertThat(perRedemption).isLessThanOrEqualTo(GOAL_BYTES);
    assertThat(perRedemptionUsed).isLessThanOrEqualTo(GOAL_BYTES);
  }

  private static void drainOutbox(CouponFunctions functions, long couponId) {
    while (true) {
      List<OutboxEntry> page = join(functions.outboxRead(couponId, Duration.ZERO, 1_000, null));
      if (page.isEmpty()) {
        break;
      }
      assertThat(join(functions.outboxAck(couponId, page.stream().map(OutboxEntry::id).toList())))
          .isEqualTo(page.size());
    }
    assertThat(join(redis.redis().commands().exists(CouponKeys.outbox(redis.prefix(), couponId))))
        .isZero();
  }

  private static long keyBytes(Coupon c) {
    long sum = 0;
    for (String key : redis.keys()) {
      if (key.contains("{" + c.couponId() + "}")) {
        sum += join(redis.redis().commands().memoryUsage(key));
      }
    }
    return sum;
  }

  private static long usedMemory() {
    String info = join(redis.redis().commands().info("memory"));
    return info.lines()
        .filter(l -> l.startsWith("used_memory:"))
        .map(l -> Long.parseLong(l.substring("used_memory:".length()).trim()))
        .findFirst()
        .orElseThrow();
  }
}
