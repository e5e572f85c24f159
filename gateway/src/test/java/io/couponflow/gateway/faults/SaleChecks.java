package io.couponflow.gateway.faults;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.gateway.GatewayFixture;
import io.couponflow.lua.CouponInspection;
import io.couponflow.testkit.RedisFixture;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What a sale after a fault must show: the hostile requests and the invariants at rest. */
public final class SaleChecks {
  private SaleChecks() {}

  /** The requests answered 201 after the first {@code skip} accepts, in order. */
  public static List<Integer> acceptedAfter(Sale sale, int skip) {
    List<Integer> accepted = sale.requests(s -> s == 201);
    return new ArrayList<>(accepted.subList(skip, accepted.size()));
  }

  /**
   * For each accepted request: its retry (must replay the same body), its order under a new key and
   * user (must be ORDER_ALREADY_REDEEMED) and its user with a new order (must be
   * USER_LIMIT_REACHED). Returns how many answers were each.
   */
  public static Map<String, Long> hostileRequests(Sale sale, List<Integer> requests) {
    Map<String, Long> seen = new HashMap<>();
    Map<Integer, Sale.Answer> answers = sale.answers();
    for (int i : requests) {
      Sale.Answer first = answers.get(i);
      Sale.Answer retry = sale.sendUntilDecided("k-" + i, "u-" + i, "SO-" + i);
      if (retry.status() == 201 && retry.replayed() && retry.body().equals(first.body())) {
        seen.merge("replayed", 1L, Long::sum);
      } else {
        seen.merge("retry " + retry.status() + " " + retry.body(), 1L, Long::sum);
      }
      tally(seen, sale.sendUntilDecided("order-k-" + i, "order-u-" + i, "SO-" + i));
      tally(seen, sale.sendUntilDecided("user-k-" + i, "u-" + i, "user-SO-" + i));
    }
    return seen;
  }

  private static void tally(Map<String, Long> seen, Sale.Answer answer) {
    for (String code : List.of("ORDER_ALREADY_REDEEMED", "USER_LIMIT_REACHED")) {
      if (answer.status() == 409 && answer.code(code)) {
        seen.merge(code, 1L, Long::sum);
        return;
      }
    }
    seen.merge(answer.status() + " " + answer.body(), 1L, Long::sum);
  }

  public static long firstAcceptAfter(Sale sale, long nanos) {
    return sale.answers().values().stream()
        .filter(a -> a.status() == 201 && a.atNanos() > nanos)
        .mapToLong(a -> Duration.ofNanos(a.atNanos() - nanos).toMillis())
        .min()
        .orElse(-1);
  }

  /**
   * The sale's invariants at rest: exactly the stock was sold, each 201 has its row (with its key)
   * and every row a 201 or a lost answer, no user or order holds two, and Redis agrees.
   */
  public static void assertWhole(GatewayFixture fx, long couponId, long stock, Sale sale)
      throws Exception {
    Map<String, String> rows = assertRowsAndRedisAgree(fx, couponId, stock);
    assertThat(rows).hasSize((int) stock);
    Set<String> answered = new HashSet<>();
    Set<String> mayExist = new HashSet<>();
    sale.answers()
        .forEach(
            (i, a) -> {
              if (a.status() == 201) {
                answered.add(a.redemptionId());
                assertThat(rows).containsEntry(a.redemptionId(), "k-" + i);
              } else if (a.status() == 0) {
                mayExist.add(couponId + ".SO-" + i + ".1");
              }
            });
    Set<String> unexplained = new HashSet<>(rows.keySet());
    unexplained.removeAll(answered);
    unexplained.removeAll(mayExist);
    assertThat(unexplained).as("rows without a 201").isEmpty();
  }

  /**
   * Waits for the outbox to drain, then checks MySQL against itself and Redis; returns the accepted
   * rows, redemption id to key.
   */
  public static Map<String, String> assertRowsAndRedisAgree(
      GatewayFixture fx, long couponId, long stock) throws Exception {
    fx.awaitOutboxDrained();
    Map<String, String> rows = new HashMap<>();
    try (Connection c = fx.db().database().dataSource().getConnection();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT redemption_id, idempotency_key FROM redemption WHERE status = 'ACCEPTED'"
                  + " AND coupon_id = "
                  + couponId)) {
        while (rs.next()) {
          rows.put(rs.getString(1), rs.getString(2));
        }
      }
      for (String column : List.of("user_id", "order_id")) {
        try (ResultSet rs =
            s.executeQuery(
                "SELECT "
                    + column
                    + ", COUNT(*) FROM redemption WHERE status = 'ACCEPTED' AND coupon_id = "
                    + couponId
                    + " GROUP BY "
                    + column
                    + " HAVING COUNT(*) > 1")) {
          assertThat(rs.next()).as("a " + column + " with two accepted redemptions").isFalse();
        }
      }
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM dead_letter")) {
        rs.next();
        assertThat(rs.getLong(1)).as("dead letters").isZero();
      }
    }
    assertThat((long) rows.size()).as("accepted rows").isLessThanOrEqualTo(stock);
    CouponInspection redis =
        RedisFixture.join(fx.redis().functions().inspect(couponId)).orElseThrow();
    assertThat(redis.coupon().accepted()).isEqualTo(rows.size());
    assertThat(redis.coupon().stock()).isEqualTo(stock - rows.size());
    assertThat(redis.pending()).isZero();
    return rows;
  }
}
