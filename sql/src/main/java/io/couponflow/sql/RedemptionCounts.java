package io.couponflow.sql;

/** How many rows of one coupon MySQL holds, by status. */
public record RedemptionCounts(long couponId, long accepted, long reversed) {}
