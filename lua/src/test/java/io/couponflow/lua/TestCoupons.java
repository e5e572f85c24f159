package io.couponflow.lua;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/** Coupon definitions for tests: live from an hour before the tests started to an hour after. */
public final class TestCoupons {
  private static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.MILLIS);
  private final long id;
  private String name = "50 off 300";
  private long stock = 10;
  private int limit = 1;
  private long threshold = 30_000;
  private long discount = 5_000;
  private Instant startsAt = NOW.minusSeconds(3600);
  private Instant endsAt = NOW.plusSeconds(3600);
  private CouponStatus status = CouponStatus.ACTIVE;
  private Integer buckets;
  private long version = 1;

  private TestCoupons(long id) {
    this.id = id;
  }

  public static TestCoupons coupon(long id) {
    return new TestCoupons(id);
  }

  public TestCoupons name(String v) {
    name = v;
    return this;
  }

  public TestCoupons stock(long v) {
    stock = v;
    return this;
  }

  public TestCoupons limit(int v) {
    limit = v;
    return this;
  }

  public TestCoupons threshold(long v) {
    threshold = v;
    return this;
  }

  public TestCoupons discount(long v) {
    discount = v;
    return this;
  }

  public TestCoupons window(Instant starts, Instant ends) {
    startsAt = starts;
    endsAt = ends;
    return this;
  }

  public TestCoupons status(CouponStatus v) {
    status = v;
    return this;
  }

  public TestCoupons buckets(int v) {
    buckets = v;
    return this;
  }

  public TestCoupons version(long v) {
    version = v;
    return this;
  }

  public Coupon build() {
    return new Coupon(
        id,
        name,
        stock,
        limit,
        threshold,
        discount,
        startsAt,
        endsAt,
        status,
        false,
        buckets == null ? Coupon.bucketsFor(stock) : buckets,
        version);
  }
}
