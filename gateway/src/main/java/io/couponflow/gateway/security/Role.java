package io.couponflow.gateway.security;

import java.util.Locale;
import java.util.Optional;

/** What a caller may do through the API; each route requires one (COUPON_HTTP_CLIENT_ROLES). */
public enum Role {
  /** {@code POST /v1/redemptions}. */
  REDEEM,
  /** {@code POST /v1/redemptions/{redemptionId}/reversal}. */
  REVERSE,
  /** {@code GET /v1/redemptions/{redemptionId}} and {@code GET /v1/coupons/{couponId}}. */
  READ;

  /** The role's name in the configuration: {@code redeem}, {@code reverse}, {@code read}. */
  public String configName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The role a configuration word names, exactly as {@link #configName} writes it. */
  static Optional<Role> named(String word) {
    for (Role role : values()) {
      if (role.configName().equals(word)) {
        return Optional.of(role);
      }
    }
    return Optional.empty();
  }
}
