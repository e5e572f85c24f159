package io.couponflow.gateway.coupon;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The stock of the gateway's hottest coupons, for dashboards and the "stock near zero" alert:
 * {@code couponflow.coupon.remaining.stock{coupon}} and {@code
 * couponflow.coupon.total.stock{coupon}} for at most {@link #LIMIT} coupons, the ones the local
 * tier's eviction policy ranks hottest (most often and most recently asked for). Each {@link
 * #publish} reads their counters from Redis ({@code cf_coupon}, one pipelined read per coupon) and
 * replaces the exported set; when a read fails the previous figures stay.
 *
 * <p>Thread-safety: {@link #publish} may be called from any thread, one call at a time.
 */
public final class HotCouponStock {
  /** How many coupons are exported: a bound on the series one gateway adds. */
  public static final int LIMIT = 20;

  private static final Duration READ_TIMEOUT = Duration.ofSeconds(2);

  private final CouponDirectory coupons;
  private final CouponFunctions functions;
  private final MultiGauge remaining;
  private final MultiGauge total;

  public HotCouponStock(
      CouponDirectory coupons, CouponFunctions functions, MeterRegistry registry) {
    this.coupons = coupons;
    this.functions = functions;
    this.remaining =
        MultiGauge.builder("couponflow.coupon.remaining.stock")
            .description("Remaining stock in Redis of the gateway's hottest coupons")
            .register(registry);
    this.total =
        MultiGauge.builder("couponflow.coupon.total.stock")
            .description("Total stock of the gateway's hottest coupons")
            .register(registry);
  }

  /** Reads the hottest coupons' stock from Redis and exports it when every read answered. */
  public void publish() {
    List<CompletableFuture<Optional<LiveCoupon>>> reads = new ArrayList<>();
    for (LiveCoupon hot : coupons.hottest(LIMIT)) {
      reads.add(functions.coupon(hot.couponId()));
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .orTimeout(READ_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
        .thenRun(
            () -> {
              List<MultiGauge.Row<?>> remainingRows = new ArrayList<>();
              List<MultiGauge.Row<?>> totalRows = new ArrayList<>();
              for (CompletableFuture<Optional<LiveCoupon>> read : reads) {
                read.join()
                    .ifPresent(
                        c -> {
                          Tags tags = Tags.of("coupon", Long.toString(c.couponId()));
                          remainingRows.add(MultiGauge.Row.of(tags, c.stock()));
                          totalRows.add(MultiGauge.Row.of(tags, c.definition().totalStock()));
                        });
              }
              remaining.register(remainingRows, true);
              total.register(totalRows, true);
            });
  }
}
