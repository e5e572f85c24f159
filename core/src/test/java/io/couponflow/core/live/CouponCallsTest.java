package io.couponflow.core.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.Counters;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The retry rules every use case's Redis call follows, case by case, with a coupon tier that
 * records what it was asked and a "Redis" that answers from a script.
 */
class CouponCallsTest {
  private static final String MISSING = "COUPON_MISSING";
  private static final String FENCED = "FENCED";
  private static final String UNKNOWN = "UNKNOWN";

  /** A coupon tier that knows coupon 7 (or nothing) and logs every question. */
  private static final class Tier implements LiveCoupons {
    final List<String> asked = new ArrayList<>();
    boolean known = true;
    boolean repairFails;

    @Override
    public CompletableFuture<Optional<LiveCoupon>> find(long couponId) {
      asked.add("find " + couponId);
      return CompletableFuture.completedFuture(
          known ? Optional.of(live(couponId)) : Optional.empty());
    }

    @Override
    public void forget(long couponId) {
      asked.add("forget " + couponId);
    }

    @Override
    public CompletableFuture<?> repair(long couponId) {
      asked.add("repair " + couponId);
      return repairFails
          ? CompletableFuture.failedFuture(new IllegalStateException("MySQL is down"))
          : CompletableFuture.completedFuture(true);
    }
  }

  private final Tier tier = new Tier();
  private final Deque<String> redis = new ArrayDeque<>();
  private int calls;

  private String run(String... answers) {
    redis.addAll(List.of(answers));
    return new CouponCalls(tier)
        .run(
            7,
            () -> UNKNOWN,
            coupon -> {
              calls++;
              return CompletableFuture.completedFuture(redis.removeFirst());
            },
            MISSING::equals,
            FENCED::equals)
        .join();
  }

  @Test
  void run_couponKnown_callsOnceAndAnswersWhatRedisAnswered() {
    assertThat(run("DONE")).isEqualTo("DONE");
    assertThat(calls).isEqualTo(1);
    assertThat(tier.asked).containsExactly("find 7");
  }

  @Test
  void run_couponUnknownEverywhere_answersUnknownWithoutCallingRedis() {
    tier.known = false;

    assertThat(run()).isEqualTo(UNKNOWN);
    assertThat(calls).isZero();
  }

  @Test
  void run_redisLostTheCoupon_forgetsFindsAgainAndCallsOnceMore() {
    assertThat(run(MISSING, "DONE")).isEqualTo("DONE");
    assertThat(tier.asked).containsExactly("find 7", "forget 7", "find 7");
  }

  @Test
  void run_redisLostTheCouponTwice_answersMissing() {
    assertThat(run(MISSING, MISSING)).isEqualTo(MISSING);
    assertThat(calls).isEqualTo(2);
  }

  @Test
  void run_fenced_repairsThenCallsOnceMore() {
    assertThat(run(FENCED, "DONE")).isEqualTo("DONE");
    assertThat(tier.asked).containsExactly("find 7", "repair 7", "find 7");
  }

  @Test
  void run_stillFencedAfterTheRepair_answersFencedWithoutRepairingAgain() {
    assertThat(run(FENCED, FENCED)).isEqualTo(FENCED);
    assertThat(tier.asked).containsExactly("find 7", "repair 7", "find 7");
  }

  @Test
  void run_repairFailsOrIsOverdue_answersFencedAndCallsNoMore() {
    tier.repairFails = true;

    assertThat(run(FENCED)).isEqualTo(FENCED);
    assertThat(calls).isEqualTo(1);
  }

  private static LiveCoupon live(long couponId) {
    return new LiveCoupon(
        new Coupon(
            couponId,
            "c",
            10,
            1,
            0,
            1,
            Instant.EPOCH,
            Instant.EPOCH.plusSeconds(60),
            CouponStatus.ACTIVE,
            false,
            1,
            1),
        new Counters(10, 0, 0));
  }
}
