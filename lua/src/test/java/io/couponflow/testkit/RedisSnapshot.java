package io.couponflow.testkit;

import io.lettuce.core.Range;
import io.lettuce.core.ScoredValue;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Every key under a prefix with its whole content and expiry, read type by type (HGETALL, XRANGE,
 * GET, SMEMBERS, LRANGE, ZRANGE, PEXPIRETIME), so a test can show that a call changed exactly what
 * it should, or nothing at all. Not atomic: take it while nothing else writes under the prefix.
 *
 * @param keys key name to its state, sorted by name
 */
public record RedisSnapshot(Map<String, KeyState> keys) {
  /** What {@link #changesTo} writes for a field or key that does not exist on one side. */
  public static final String NONE = "(none)";

  /** The field name {@link #changesTo} uses for a key's absolute expiry (ms, -1 for none). */
  public static final String EXPIRY = "@expireAt";

  /**
   * One key.
   *
   * @param content hash: field to value; stream: entry id to "f=v f=v ..."; string: "" to the
   *     value; set: member to ""; list: index to element; zset: member to score
   * @param expireAtMillis the PEXPIRETIME reply: -1 when the key has no expiry
   */
  public record KeyState(String type, Map<String, String> content, long expireAtMillis) {}

  public RedisSnapshot {
    keys = java.util.Collections.unmodifiableMap(new TreeMap<>(keys));
  }

  /**
   * Reads the given keys, pipelined (all TYPEs, then all contents and expiries); keys that vanished
   * meanwhile are left out.
   */
  public static RedisSnapshot of(
      RedisClusterAsyncCommands<String, String> redis, Collection<String> names) {
    Map<String, CompletionStage<String>> types = new LinkedHashMap<>();
    names.forEach(key -> types.put(key, redis.type(key)));
    Map<String, CompletionStage<Map<String, String>>> contents = new LinkedHashMap<>();
    Map<String, CompletionStage<Long>> expiries = new LinkedHashMap<>();
    Map<String, String> typeOf = new LinkedHashMap<>();
    types.forEach(
        (key, reply) -> {
          String type = get(reply);
          if (!"none".equals(type)) {
            typeOf.put(key, type);
            contents.put(key, content(redis, key, type));
            expiries.put(key, redis.pexpiretime(key));
          }
        });
    Map<String, KeyState> states = new TreeMap<>();
    typeOf.forEach(
        (key, type) ->
            states.put(key, new KeyState(type, get(contents.get(key)), get(expiries.get(key)))));
    return new RedisSnapshot(states);
  }

  private static CompletionStage<Map<String, String>> content(
      RedisClusterAsyncCommands<String, String> redis, String key, String type) {
    switch (type) {
      case "hash":
        return redis.hgetall(key).thenApply(TreeMap::new);
      case "stream":
        return redis
            .xrange(key, Range.create("-", "+"))
            .thenApply(
                entries -> {
                  Map<String, String> content = new LinkedHashMap<>();
                  for (StreamMessage<String, String> m : entries) {
                    content.put(m.getId(), entryText(m.getBody()));
                  }
                  return content;
                });
      case "string":
        return redis.get(key).thenApply(v -> Map.of("", v));
      case "set":
        return redis
            .smembers(key)
            .thenApply(
                members -> {
                  Map<String, String> content = new TreeMap<>();
                  members.forEach(m -> content.put(m, ""));
                  return content;
                });
      case "list":
        return redis
            .lrange(key, 0, -1)
            .thenApply(
                items -> {
                  Map<String, String> content = new LinkedHashMap<>();
                  for (int i = 0; i < items.size(); i++) {
                    content.put(Integer.toString(i), items.get(i));
                  }
                  return content;
                });
      case "zset":
        return redis
            .zrangeWithScores(key, 0, -1)
            .thenApply(
                values -> {
                  Map<String, String> content = new LinkedHashMap<>();
                  for (ScoredValue<String> v : values) {
                    content.put(v.getValue(), Double.toString(v.getScore()));
                  }
                  return content;
                });
      default:
        throw new IllegalStateException("key " + key + " has unexpected type " + type);
    }
  }

  /** How an outbox entry's fields appear in a snapshot: "f=v f=v ...", in stream order. */
  public static String entryText(Map<String, String> fields) {
    List<String> parts = new ArrayList<>(fields.size());
    fields.forEach((f, v) -> parts.add(f + "=" + v));
    return String.join(" ", parts);
  }

  /**
   * What changed from this snapshot to {@code after}: key to field to {@code "old -> new"}, with
   * {@link #NONE} for a side where the field (or the whole key) is missing, and the pseudo-field
   * {@link #EXPIRY} when the expiry changed. Keys and fields that did not change are left out, so
   * "nothing changed" is an empty map. A key whose type changed shows under the field "@type".
   */
  public Map<String, Map<String, String>> changesTo(RedisSnapshot after) {
    Map<String, Map<String, String>> changes = new TreeMap<>();
    TreeSet<String> names = new TreeSet<>(keys.keySet());
    names.addAll(after.keys.keySet());
    for (String key : names) {
      KeyState was = keys.get(key);
      KeyState now = after.keys.get(key);
      Map<String, String> fieldChanges = new TreeMap<>();
      String wasType = was == null ? NONE : was.type();
      String nowType = now == null ? NONE : now.type();
      if (was != null && now != null && !wasType.equals(nowType)) {
        fieldChanges.put("@type", wasType + " -> " + nowType);
      }
      Map<String, String> before = was == null ? Map.of() : was.content();
      Map<String, String> later = now == null ? Map.of() : now.content();
      TreeSet<String> fields = new TreeSet<>(before.keySet());
      fields.addAll(later.keySet());
      for (String field : fields) {
        String a = before.getOrDefault(field, NONE);
        String b = later.getOrDefault(field, NONE);
        if (!a.equals(b)) {
          fieldChanges.put(field, a + " -> " + b);
        }
      }
      long wasExpiry = was == null ? -1 : was.expireAtMillis();
      long nowExpiry = now == null ? -1 : now.expireAtMillis();
      if (wasExpiry != nowExpiry) {
        fieldChanges.put(EXPIRY, text(wasExpiry) + " -> " + text(nowExpiry));
      }
      if (!fieldChanges.isEmpty()) {
        changes.put(key, fieldChanges);
      }
    }
    return changes;
  }

  /** The state of one key, or null when the snapshot does not hold it. */
  public KeyState key(String name) {
    return keys.get(name);
  }

  private static String text(long expiry) {
    return expiry < 0 ? NONE : Long.toString(expiry);
  }

  private static <T> T get(CompletionStage<T> future) {
    try {
      return Objects.requireNonNull(
          future.toCompletableFuture().get(10, TimeUnit.SECONDS), "reply");
    } catch (Exception e) {
      throw new IllegalStateException("snapshot read failed", e);
    }
  }
}
