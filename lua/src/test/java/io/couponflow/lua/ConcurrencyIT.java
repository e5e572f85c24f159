package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.model.Redemption;
import io.couponflow.testkit.RedisFixture;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * No oversell, no double redemption: 20 threads fire 20,000 redemptions at one coupon with stock
 * 1,000, with users, orders and keys mixed so that every rule triggers. Afterwards the invariants
 * hold exactly, both in the answers and in Redis.
 */
class ConcurrencyIT {
  private static final int THREADS = 20;
  private static final int REQUESTS = 20_000;
  private static final int STOCK = 1_000;
  private static final int USERS = 700;
  private static final int ORDERS = 3_000;
  private static final int LIMIT = 2;
  private static final long THRESHOLD = 30_000;
  private static RedisFixture redis;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(ConcurrencyIT.class);
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  /** The answers one kind of outcome got, by outcome kind. */
  private enum Kind {
    ACCEPTED,
    REPLAYED,
    COUPON_NOT_FOUND,
    IDEMPOTENCY_KEY_REUSED,
    COUPON_NOT_ACTIVE,
    ORDER_BELOW_THRESHOLD,
    USER_LIMIT_REACHED,
    ORDER_ALREADY_REDEEMED,
    SOLD_OUT
  }

  private static Kind kind(RedeemOutcome outcome) {
    if (outcome instanceof RedeemOutcome.Accepted) {
      return Kind.ACCEPTED;
    }
    if (outcome instanceof RedeemOutcome.Replayed) {
      return Kind.REPLAYED;
    }
    return Kind.valueOf(((RedeemOutcome.Rejected) outcome).rejection().name());
  }

  /**
   * Fresh requests with random users, orders and amounts (about a quarter below the threshold),
   * plus exact retries of earlier requests (15%) and earlier keys sent with other parameters (5%).
   */
  private static List<RedeemRequest> workload(long couponId) {
    Random random = new Random(20_000);
    List<RedeemRequest> requests = new ArrayList<>(REQUESTS);
    for (int i = 0; i < REQUESTS; i++) {
      int dice = random.nextInt(100);
      if (i > 100 && dice < 15) {
        requests.add(requests.get(random.nextInt(requests.size())));
      } else if (i > 100 && dice < 20) {
        RedeemRequest earlier = requests.get(random.nextInt(requests.size()));
        requests.add(
            new RedeemRequest(
                couponId,
                earlier.idempotencyKey(),
                earlier.userId(),
                earlier.orderId(),
                earlier.orderAmountCents() + 1));
      } else {
        requests.add(
            new RedeemRequest(
                couponId,
                "k-" + i,
                "u-" + random.nextInt(USERS),
                "SO-" + random.nextInt(ORDERS),
                22_500 + random.nextInt(30_000)));
      }
    }
    return requests;
  }

  @Test
  void twentyThousandRedemptionsFromTwentyThreads_neverOversellNorRedeemTwice() throws Exception {
    CouponFunctions functions = redis.functions();
    Coupon c = coupon(1).stock(STOCK).limit(LIMIT).threshold(THRESHOLD).build();
    join(functions.load(c, 0, 0, Duration.ZERO));
    List<RedeemRequest> requests = workload(c.couponId());
    RedeemOutcome[] outcomes = new RedeemOutcome[REQUESTS];
    AtomicInteger next = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        workers.add(
            pool.submit(
                () -> {
                  for (int i = next.getAndIncrement(); i < REQUESTS; i = next.getAndIncrement()) {
                    outcomes[i] = join(functions.redeem(requests.get(i), c.buckets()));
                  }
                }));
      }
      for (Future<?> w : workers) {
        w.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
    Map<String, RedeemRequest> acceptedByKey = new HashMap<>();
    Map<String, Redemption> redemptionByKey = new HashMap<>();
    Set<String> acceptedOutboxIds = new HashSet<>();
    for (int i = 0; i < REQUESTS; i++) {
      RedeemOutcome outcome = outcomes[i];
      counts.merge(kind(outcome), 1, Integer::sum);
      if (outcome instanceof RedeemOutcome.Accepted a) {
        RedeemRequest request = requests.get(i);
        assertThat(acceptedByKey.put(request.idempotencyKey(), request))
            .as("key %s accepted twice", request.idempotencyKey())
            .isNull();
        redemptionByKey.put(request.idempotencyKey(), a.redemption());
        acceptedOutboxIds.add(a.outboxId());
        assertThat(a.redemption().redemptionId().generation()).isEqualTo(1);
        assertThat(a.redemption().userId()).isEqualTo(request.userId());
        assertThat(a.redemption().orderId()).isEqualTo(request.orderId());
        assertThat(a.redemption().orderAmountCents()).isEqualTo(request.orderAmountCents());
      }
    }

    System.out.println("ConcurrencyIT outcomes: " + counts);
    assertThat(counts.get(Kind.ACCEPTED)).isEqualTo(STOCK);
    assertThat(counts.keySet())
        .contains(
            Kind.REPLAYED,
            Kind.SOLD_OUT,
            Kind.USER_LIMIT_REACHED,
            Kind.ORDER_ALREADY_REDEEMED,
            Kind.IDEMPOTENCY_KEY_REUSED,
            Kind.ORDER_BELOW_THRESHOLD)
        .doesNotContain(Kind.COUPON_NOT_FOUND, Kind.COUPON_NOT_ACTIVE);

    for (int i = 0; i < REQUESTS; i++) {
      RedeemRequest request = requests.get(i);
      RedeemRequest winner = acceptedByKey.get(request.idempotencyKey());
      RedeemOutcome outcome = outcomes[i];
      if (outcome instanceof RedeemOutcome.Replayed replayed) {
        assertThat(winner).as("replay of request %d", i).isEqualTo(request);
        assertThat(replayed.redemption()).isEqualTo(redemptionByKey.get(request.idempotencyKey()));
      } else if (kind(outcome) == Kind.IDEMPOTENCY_KEY_REUSED) {
        assertThat(winner).as("key reuse of request %d", i).isNotNull().isNotEqualTo(request);
      }
    }

    Map<String, Long> perUser =
        acceptedByKey.values().stream()
            .collect(Collectors.groupingBy(RedeemRequest::userId, Collectors.counting()));
    assertThat(perUser.values()).allMatch(n -> n <= LIMIT);
    assertThat(perUser.values()).contains((long) LIMIT);
    Set<String> orders = new HashSet<>();
    acceptedByKey.values().forEach(r -> assertThat(orders.add(r.orderId())).isTrue());

    LiveCoupon live = join(functions.coupon(c.couponId())).orElseThrow();
    assertThat(live.stock()).isZero();
    assertThat(live.accepted()).isEqualTo(STOCK);
    assertThat(live.reversed()).isZero();
    assertThat(live.definition().totalStock()).isEqualTo(STOCK);

    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    Map<String, String> userCounts = new HashMap<>();
    Map<String, String> orderRecords = new HashMap<>();
    Map<String, String> keyRecords = new HashMap<>();
    for (int b = 0; b < c.buckets(); b++) {
      userCounts.putAll(hash(k.meta().replace(":m", ":u:" + b)));
      orderRecords.putAll(hash(k.meta().replace(":m", ":o:" + b)));
      keyRecords.putAll(hash(k.meta().replace(":m", ":i:" + b)));
    }
    assertThat(userCounts)
        .isEqualTo(
            perUser.entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> Long.toString(e.getValue()))));
    Map<String, String> expectedOrders = new HashMap<>();
    Map<String, String> expectedKeys = new HashMap<>();
    redemptionByKey.forEach(
        (key, r) -> {
          expectedOrders.put(
              r.orderId(),
              "1|"
                  + r.userId()
                  + "|"
                  + r.orderAmountCents()
                  + "|"
                  + r.discountCents()
                  + "|"
                  + r.acceptedAt().toEpochMilli()
                  + "|A|");
          expectedKeys.put(key, r.orderId() + ".1");
        });
    assertThat(orderRecords).isEqualTo(expectedOrders);
    assertThat(keyRecords).isEqualTo(expectedKeys);

    List<StreamMessage<String, String>> outbox =
        join(redis.redis().commands().xrange(k.outbox(), Range.create("-", "+")));
    assertThat(outbox.stream().map(StreamMessage::getId).collect(Collectors.toSet()))
        .isEqualTo(acceptedOutboxIds);
    assertThat(outbox.stream().map(m -> m.getBody().get("r")).collect(Collectors.toSet()))
        .isEqualTo(
            redemptionByKey.values().stream()
                .map(r -> r.redemptionId().toString())
                .collect(Collectors.toSet()));
    assertThat(outbox).hasSize(STOCK);
  }

  private static Map<String, String> hash(String key) {
    return join(redis.redis().commands().hgetall(key));
  }
}
