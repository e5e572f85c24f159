package io.couponflow.gateway.coupon;

import io.couponflow.model.Coupon;
import java.util.Optional;

/**
 * Where coupon definitions are read from when Redis does not hold a coupon: the system of record.
 *
 * <p>Contract: {@link #read} blocks (callers run it off the event loops), answers empty only when
 * the coupon certainly does not exist, and throws {@link MetadataUnavailableException} when the
 * store cannot be asked (an outage); anything else it throws is a bug (a corrupt row, a mapping
 * error), which no retry cures. Implementations are safe for use by many threads.
 */
public interface CouponDefinitions {
  /**
   * A definition with what is needed to put the coupon live in Redis.
   *
   * @param accepted ACCEPTED redemptions the store holds for the coupon
   * @param reversed REVERSED redemptions the store holds for the coupon
   */
  record Definition(Coupon coupon, long accepted, long reversed) {}

  Optional<Definition> read(long couponId);
}
