package io.couponflow.lua.cluster;

import io.couponflow.lua.CouponKeys;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.PrivateRedisCluster;
import io.lettuce.core.cluster.SlotHash;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Coupons for cluster tests: definitions, and coupon ids chosen so that each master of a private
 * cluster serves some of them. Shared with the sink's and the gateway's cluster tests through the
 * lua test-jar.
 */
public final class ClusterCoupons {
  private ClusterCoupons() {}

  /** An active coupon, live from a minute ago for an hour. */
  public static Coupon coupon(
      long id, long stock, int perUserLimit, long thresholdCents, long discountCents) {
    Instant now = Instant.now();
    return new Coupon(
        id,
        "cluster " + id,
        stock,
        perUserLimit,
        thresholdCents,
        discountCents,
        now.minusSeconds(60),
        now.plusSeconds(3600),
        CouponStatus.ACTIVE,
        false,
        Coupon.bucketsFor(stock),
        1);
  }

  /**
   * The first {@code perMaster} coupon ids from {@code firstId} up that each master serves now, by
   * the slot of the coupon's hash tag, in master order; masters without slots are left out.
   */
  public static Map<PrivateRedis, List<Long>> perMaster(
      PrivateRedisCluster cluster, String prefix, long firstId, int perMaster) {
    Map<Integer, PrivateRedis> owners = new HashMap<>();
    Map<PrivateRedis, List<Long>> ids = new LinkedHashMap<>();
    for (PrivateRedis master : cluster.masters()) {
      List<Integer> slots = cluster.slotsOf(master);
      if (!slots.isEmpty()) {
        slots.forEach(slot -> owners.put(slot, master));
        ids.put(master, new ArrayList<>());
      }
    }
    long id = firstId;
    while (ids.values().stream().anyMatch(list -> list.size() < perMaster)) {
      if (id - firstId > 1_000_000) {
        throw new IllegalStateException("no coupon ids found for every master: " + ids);
      }
      PrivateRedis owner = owners.get(SlotHash.getSlot(CouponKeys.meta(prefix, id)));
      List<Long> list = ids.get(owner);
      if (list != null && list.size() < perMaster) {
        list.add(id);
      }
      id++;
    }
    return ids;
  }

  /** One coupon id per master, from {@code firstId} up. */
  public static List<Long> onePerMaster(PrivateRedisCluster cluster, String prefix, long firstId) {
    return perMaster(cluster, prefix, firstId, 1).values().stream().map(l -> l.get(0)).toList();
  }
}
