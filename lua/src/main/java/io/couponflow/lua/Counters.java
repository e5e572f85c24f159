package io.couponflow.lua;

/** A coupon's live counters in Redis. */
public record Counters(long stock, long accepted, long reversed) {}
