package io.couponflow.gateway.security;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * Who sent a request, as far as the API knows, and what it may do.
 *
 * @param name the name its client certificate was matched by (a subject CN, a SAN DNS name or a SAN
 *     URI named in COUPON_HTTP_CLIENT_ROLES); the certificate's first name when none matched; empty
 *     without mTLS
 * @param roles what it may do
 */
public record Caller(String name, Set<Role> roles) {
  /** Without mTLS the API cannot tell callers apart, and every caller has every role. */
  public static final Caller ANYONE = new Caller("", EnumSet.allOf(Role.class));

  public Caller {
    Objects.requireNonNull(name, "name");
    roles = roles.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(roles));
  }

  public boolean may(Role role) {
    return roles.contains(role);
  }
}
