package io.couponflow.lua;

import java.util.Set;

/**
 * Who and what one coupon's buckets hold, without the values ({@code cf_members}): every
 * idempotency key, every user with an accepted redemption, and every order with a record.
 */
public record CouponMembers(Set<String> idempotencyKeys, Set<String> users, Set<String> orders) {
  public CouponMembers {
    idempotencyKeys = Set.copyOf(idempotencyKeys);
    users = Set.copyOf(users);
    orders = Set.copyOf(orders);
  }
}
