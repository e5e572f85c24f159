package io.couponflow.gateway.security;

import io.couponflow.config.ConfigException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * COUPON_HTTP_CLIENT_ROLES: which client certificate gets which roles. Written {@code
 * name=role,role;name=role}; a certificate whose subject CN, or one of whose SAN DNS names or URIs,
 * equals a {@code name} gets that name's roles (the union, when it carries several names). CNs and
 * DNS names compare without case, URIs exactly. A certificate that matches no name has no role.
 *
 * <p>Thread-safety: immutable.
 */
public final class ClientRoles {
  /** The variable this is read from, for messages. */
  public static final String VARIABLE = "COUPON_HTTP_CLIENT_ROLES";

  private static final int SAN_DNS = 2;
  private static final int SAN_URI = 6;

  private final Map<String, Set<Role>> byName;

  private ClientRoles(Map<String, Set<Role>> byName) {
    this.byName = Collections.unmodifiableMap(byName);
  }

  /** No names: with mTLS, no caller has any role. */
  public static ClientRoles none() {
    return new ClientRoles(new LinkedHashMap<>());
  }

  /**
   * Parses {@code name=role,role;name=role}; blank is {@link #none()}. Whitespace around names and
   * roles is ignored.
   *
   * @throws ConfigException naming COUPON_HTTP_CLIENT_ROLES for anything else
   */
  public static ClientRoles parse(String raw) {
    Map<String, Set<Role>> byName = new LinkedHashMap<>();
    if (raw == null || raw.isBlank()) {
      return new ClientRoles(byName);
    }
    for (String entry : raw.split(";", -1)) {
      int eq = entry.indexOf('=');
      if (eq < 0) {
        throw refused("'" + entry.trim() + "' has no '='");
      }
      String name = entry.substring(0, eq).trim();
      if (name.isEmpty()) {
        throw refused("an entry has no name before '='");
      }
      if (byName.keySet().stream().anyMatch(known -> same(known, name))) {
        throw refused("'" + name + "' is named twice");
      }
      Set<Role> roles = EnumSet.noneOf(Role.class);
      for (String word : entry.substring(eq + 1).split(",", -1)) {
        String w = word.trim();
        roles.add(
            Role.named(w)
                .orElseThrow(
                    () ->
                        refused(
                            "'"
                                + w
                                + "' (for "
                                + name
                                + ") is not a role (expected: redeem, reverse, read)")));
      }
      byName.put(name, roles);
    }
    return new ClientRoles(byName);
  }

  private static ConfigException refused(String why) {
    return new ConfigException(
        VARIABLE + ": " + why + " (expected: name=role,role;name=role with redeem, reverse, read)");
  }

  /** The names configured, in the order written. */
  public Set<String> names() {
    return byName.keySet();
  }

  public boolean isEmpty() {
    return byName.isEmpty();
  }

  /**
   * The caller a verified client certificate stands for: named by the first of its names that is
   * configured (subject CN first, then SAN DNS names, then SAN URIs), with the roles of every
   * configured name it carries; named by its first name, with no role, when none is configured.
   */
  public Caller callerOf(X509Certificate certificate) {
    List<String> names = namesOf(certificate);
    String matched = null;
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String name : names) {
      for (Map.Entry<String, Set<Role>> e : byName.entrySet()) {
        if (same(e.getKey(), name)) {
          roles.addAll(e.getValue());
          if (matched == null) {
            matched = e.getKey();
          }
        }
      }
    }
    if (matched == null) {
      return new Caller(names.isEmpty() ? "" : names.get(0), Set.of());
    }
    return new Caller(matched, roles);
  }

  /**
   * Compares a configured name with a certificate's: without case, except for URIs (which have a
   * scheme, and whose paths are case-sensitive).
   */
  private static boolean same(String configured, String presented) {
    return configured.contains(":")
        ? configured.equals(presented)
        : configured.toLowerCase(Locale.ROOT).equals(presented.toLowerCase(Locale.ROOT));
  }

  /** The certificate's subject CNs, then its SAN DNS names, then its SAN URIs. */
  static List<String> namesOf(X509Certificate certificate) {
    List<String> names = new ArrayList<>();
    try {
      for (Rdn rdn : new LdapName(certificate.getSubjectX500Principal().getName()).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          names.add(0, rdn.getValue().toString());
        }
      }
    } catch (InvalidNameException e) {
      // no usable subject: the SANs may still name it
    }
    names.addAll(subjectAlternativeNames(certificate, SAN_DNS));
    names.addAll(subjectAlternativeNames(certificate, SAN_URI));
    return names;
  }

  private static List<String> subjectAlternativeNames(X509Certificate certificate, int type) {
    Collection<List<?>> all;
    try {
      all = certificate.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return List.of();
    }
    if (all == null) {
      return List.of();
    }
    return all.stream()
        .filter(san -> san.size() >= 2 && Integer.valueOf(type).equals(san.get(0)))
        .map(san -> String.valueOf(san.get(1)))
        .collect(Collectors.toList());
  }

  @Override
  public String toString() {
    return byName.entrySet().stream()
        .map(
            e ->
                e.getKey()
                    + "="
                    + e.getValue().stream().map(Role::configName).collect(Collectors.joining(",")))
        .collect(Collectors.joining(";"));
  }
}
