package io.couponflow.gateway.redeem;

import java.util.Locale;

/**
 * When a redemption is answered 201 (COUPON_DURABILITY).
 *
 * <ul>
 *   <li>{@link #REDIS}: once Redis accepted it (the default). Redis's AOF and the outbox keep it; a
 *       Redis that loses its last second together with the gateway that accepted it can lose the
 *       sink's lag worth of 201s (docs/durability.md measures it).
 *   <li>{@link #MYSQL}: once MySQL committed the batch that carries it. Nothing answered 201 can be
 *       lost by Redis, in a restart or a failover; each 201 waits for the sink's next commit.
 * </ul>
 */
public enum Durability {
  REDIS,
  MYSQL;

  public static Durability of(String text) {
    return valueOf(text.toUpperCase(Locale.ROOT));
  }
}
