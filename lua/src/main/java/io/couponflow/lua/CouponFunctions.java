package io.couponflow.lua;

import io.couponflow.config.RedisSettings;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.Redemption;
import io.couponflow.model.RedemptionId;
import io.couponflow.model.RedemptionStatus;
import io.lettuce.core.ScriptOutputType;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Typed calls to the couponflow Functions library: one method per function, results as values. Each
 * call is a single FCALL (or FCALL_RO) on the shared connection and never blocks. When the library
 * is missing because Redis restarted empty, the call loads it and retries once, so a restart under
 * load needs no manual step.
 *
 * <p>Failures complete the future with an exception from {@link RedisReplies#map}: {@link
 * RedisReplies.RedisUnavailableException} when Redis cannot answer.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class CouponFunctions {
  /** Buckets read per cf_read call (three hashes each). */
  private static final int READ_BUCKETS = 32;

  /** Fields set or deleted per cf_repair_write call. */
  private static final int WRITE_FIELDS = 500;

  private final RedisStore redis;
  private final String prefix;
  private final long retentionMillis;
  private final Duration repairSettle;

  /**
   * @param idempotencyRetention how long, at least, an accepted idempotency key is remembered
   */
  public CouponFunctions(RedisStore redis, Duration idempotencyRetention) {
    this.redis = redis;
    this.prefix = redis.prefix();
    this.retentionMillis = idempotencyRetention.toMillis();
    this.repairSettle = redis.settings().repairSettle();
  }

  public String prefix() {
    return prefix;
  }

  /** How long one Redis command may take before it fails ({@link RedisSettings#commandTimeout}). */
  public Duration commandTimeout() {
    return redis.settings().commandTimeout();
  }

  /**
   * Tells every gateway that a coupon's definition, status or stock changed, so each drops and
   * reloads its cached copy ({@link CouponEvents#changed}).
   *
   * @return how many subscribers received it
   */
  public CompletableFuture<Long> publishChanged(long couponId) {
    return redis.publish(CouponEvents.channel(prefix), CouponEvents.changed(couponId));
  }

  /**
   * Tells every gateway that the preheat job loaded these coupons, so each warms them ({@link
   * CouponEvents#loaded}).
   *
   * @return how many subscribers received it
   */
  public CompletableFuture<Long> publishLoaded(Collection<Long> couponIds) {
    return redis.publish(CouponEvents.channel(prefix), CouponEvents.loaded(couponIds));
  }

  public CouponKeys keys(long couponId, int buckets) {
    return new CouponKeys(prefix, couponId, buckets);
  }

  /**
   * Redeems: all checks, then stock, user count, order slot, idempotency key and outbox entry, in
   * one atomic step.
   *
   * @param buckets the coupon's bucket count as the caller knows it; when Redis holds another, the
   *     call is repeated once with Redis's
   */
  public CompletableFuture<RedeemOutcome> redeem(RedeemRequest request, int buckets) {
    return withRedisBuckets(request.couponId(), buckets, b -> redeemOnce(request, b))
        .thenApply(reply -> toRedeemOutcome(request, reply.reply()));
  }

  /** A reply and the bucket count Redis accepted for the call. */
  private record BucketedReply(List<Object> reply, int buckets) {}

  /**
   * Makes a call with the caller's bucket count and, when Redis answers STALE_BUCKETS with another,
   * once more with Redis's.
   */
  private static CompletableFuture<BucketedReply> withRedisBuckets(
      long couponId, int buckets, IntFunction<CompletableFuture<List<Object>>> call) {
    return call.apply(buckets)
        .thenCompose(
            reply -> {
              if (!"STALE_BUCKETS".equals(text(reply, 0))) {
                return CompletableFuture.completedFuture(new BucketedReply(reply, buckets));
              }
              int actual = Integer.parseInt(text(reply, 1));
              return call.apply(actual)
                  .thenApply(
                      again -> {
                        if ("STALE_BUCKETS".equals(text(again, 0))) {
                          throw new IllegalStateException(
                              "coupon " + couponId + " changed bucket count twice");
                        }
                        return new BucketedReply(again, actual);
                      });
            });
  }

  private CompletableFuture<List<Object>> redeemOnce(RedeemRequest request, int buckets) {
    CouponKeys k = keys(request.couponId(), buckets);
    return call(
        "cf_redeem",
        false,
        new String[] {
          k.meta(),
          k.users(request.userId()),
          k.orders(request.orderId()),
          k.idempotency(request.idempotencyKey()),
          k.history(),
          k.outbox()
        },
        Integer.toString(buckets),
        request.idempotencyKey(),
        request.userId(),
        request.orderId(),
        Long.toString(request.orderAmountCents()),
        Long.toString(retentionMillis));
  }

  private static RedeemOutcome toRedeemOutcome(RedeemRequest request, List<Object> reply) {
    String code = text(reply, 0);
    return switch (code) {
      case "ACCEPTED" ->
          new RedeemOutcome.Accepted(
              redemption(request.couponId(), request.orderId(), reply), text(reply, 8));
      case "REPLAYED" ->
          new RedeemOutcome.Replayed(redemption(request.couponId(), request.orderId(), reply));
      case "FENCED" -> new RedeemOutcome.Fenced();
      default -> new RedeemOutcome.Rejected(Rejection.valueOf(code));
    };
  }

  /**
   * Reads one redemption.
   *
   * @param buckets the coupon's bucket count as the caller knows it; when Redis holds another, the
   *     call is repeated once with Redis's
   */
  public CompletableFuture<RedemptionLookup> get(RedemptionId id, int buckets) {
    return lookup(id, buckets).thenApply(BucketedLookup::lookup);
  }

  /** A lookup and the bucket count Redis confirmed for it. */
  private record BucketedLookup(RedemptionLookup lookup, int buckets) {}

  private CompletableFuture<BucketedLookup> lookup(RedemptionId id, int buckets) {
    return withRedisBuckets(id.couponId(), buckets, b -> lookupOnce(id, b))
        .thenApply(reply -> new BucketedLookup(toLookup(id, reply.reply()), reply.buckets()));
  }

  private CompletableFuture<List<Object>> lookupOnce(RedemptionId id, int buckets) {
    CouponKeys k = keys(id.couponId(), buckets);
    return call(
        "cf_get",
        true,
        new String[] {k.meta(), k.orders(id.orderId()), k.history()},
        id.orderId(),
        Integer.toString(id.generation()),
        Integer.toString(buckets));
  }

  private static RedemptionLookup toLookup(RedemptionId id, List<Object> reply) {
    return switch (text(reply, 0)) {
      case "FOUND" -> new RedemptionLookup.Found(redemption(id.couponId(), id.orderId(), reply));
      case "COUPON_NOT_FOUND" -> new RedemptionLookup.CouponMissing();
      case "FENCED" -> new RedemptionLookup.Fenced();
      default -> new RedemptionLookup.NotFound();
    };
  }

  /**
   * Reverses one redemption: stock, the user's quota and the order's slot come back atomically.
   * Reversing again changes nothing and answers the same.
   *
   * @param buckets the coupon's bucket count as the caller knows it; when Redis holds another,
   *     Redis's is used
   */
  public CompletableFuture<ReverseOutcome> reverse(RedemptionId id, int buckets, String reason) {
    return lookup(id, buckets)
        .thenCompose(
            found -> {
              if (found.lookup() instanceof RedemptionLookup.CouponMissing) {
                return CompletableFuture.completedFuture(new ReverseOutcome.CouponMissing());
              }
              if (found.lookup() instanceof RedemptionLookup.Fenced) {
                return CompletableFuture.completedFuture(new ReverseOutcome.Fenced());
              }
              if (!(found.lookup() instanceof RedemptionLookup.Found hit)) {
                return CompletableFuture.completedFuture(new ReverseOutcome.NotFound());
              }
              int actual = found.buckets();
              CouponKeys k = keys(id.couponId(), actual);
              String user = hit.redemption().userId();
              return call(
                      "cf_reverse",
                      false,
                      new String[] {
                        k.meta(), k.users(user), k.orders(id.orderId()), k.history(), k.outbox()
                      },
                      Integer.toString(actual),
                      id.orderId(),
                      Integer.toString(id.generation()),
                      user,
                      reason == null ? "" : reason)
                  .thenApply(
                      reply ->
                          switch (text(reply, 0)) {
                            case "REVERSED" ->
                                new ReverseOutcome.Reversed(
                                    redemption(id.couponId(), id.orderId(), reply),
                                    "1".equals(text(reply, 8)),
                                    text(reply, 9).isEmpty() ? null : text(reply, 9));
                            case "COUPON_NOT_FOUND" -> new ReverseOutcome.CouponMissing();
                            case "FENCED" -> new ReverseOutcome.Fenced();
                            case "STALE_BUCKETS" ->
                                throw new IllegalStateException(
                                    "coupon "
                                        + id.couponId()
                                        + " has "
                                        + text(reply, 1)
                                        + " buckets, not "
                                        + actual);
                            default -> new ReverseOutcome.NotFound();
                          });
            });
  }

  /**
   * Creates the coupon in Redis, fenced, or refreshes its definition when {@code coupon.version()}
   * is newer than Redis's. Stock is set only when Redis does not hold the coupon yet; after that a
   * change of total stock is applied as a delta.
   *
   * @param acceptedRows ACCEPTED rows MySQL holds for the coupon (used only when not live yet)
   * @param reversedRows REVERSED rows MySQL holds for the coupon (used only when not live yet)
   */
  public CompletableFuture<LoadOutcome> load(Coupon coupon, long acceptedRows, long reversedRows) {
    return load(coupon, acceptedRows, reversedRows, (Duration) null);
  }

  /** How old a node's incarnation must be before a coupon it fenced is repaired. */
  public Duration repairSettle() {
    return repairSettle;
  }

  /**
   * Like {@link #load(Coupon, long, long)}, but a coupon Redis does not hold is created live when
   * the node's incarnation had already settled ({@link RedisSettings#repairSettle}) when the caller
   * read the counts from MySQL, {@code countsReadAgo} ago: then they include whatever a gateway had
   * accepted before an earlier loss. The caller also vouches that MySQL held no redemption records
   * (with counts of zero); a coupon with redemptions goes through a repair instead.
   */
  public CompletableFuture<LoadOutcome> load(
      Coupon coupon, long acceptedRows, long reversedRows, Duration countsReadAgo) {
    return call(
            "cf_load",
            false,
            metaKey(coupon),
            loadArgs(coupon, acceptedRows, reversedRows, countsReadAgo))
        .thenApply(CouponFunctions::toLoadOutcome);
  }

  /**
   * Refreshes the definition of a coupon Redis holds, as {@link #load} does, but never creates one
   * ({@code cf_load} with {@code UPDATE_ONLY}): {@link LoadOutcome.Absent} when Redis does not hold
   * it. For a caller whose redemption counts may be stale (a snapshot).
   */
  public CompletableFuture<LoadOutcome> update(Coupon coupon) {
    return call("cf_load", false, metaKey(coupon), updateArgs(coupon))
        .thenApply(CouponFunctions::toLoadOutcome);
  }

  /**
   * What {@link #load(Coupon, long, long)} would answer now ({@code cf_load_plan}); writes nothing.
   */
  public CompletableFuture<LoadOutcome> loadPlan(
      Coupon coupon, long acceptedRows, long reversedRows) {
    return call("cf_load_plan", true, metaKey(coupon), loadArgs(coupon, acceptedRows, reversedRows))
        .thenApply(CouponFunctions::toLoadOutcome);
  }

  /** What {@link #update} would answer now ({@code cf_load_plan}); writes nothing. */
  public CompletableFuture<LoadOutcome> updatePlan(Coupon coupon) {
    return call("cf_load_plan", true, metaKey(coupon), updateArgs(coupon))
        .thenApply(CouponFunctions::toLoadOutcome);
  }

  private String[] metaKey(Coupon coupon) {
    return new String[] {CouponKeys.meta(prefix, coupon.couponId())};
  }

  /** The definition's arguments of {@code cf_load}, then {@code UPDATE_ONLY}. */
  static String[] updateArgs(Coupon coupon) {
    String[] definition = loadArgs(coupon, 0, 0);
    String[] args = Arrays.copyOf(definition, DEFINITION_ARGS + 1);
    args[DEFINITION_ARGS] = "UPDATE_ONLY";
    return args;
  }

  private String[] loadArgs(
      Coupon coupon, long acceptedRows, long reversedRows, Duration countsReadAgo) {
    String[] definition = loadArgs(coupon, acceptedRows, reversedRows);
    if (countsReadAgo == null) {
      return definition;
    }
    String[] args = Arrays.copyOf(definition, definition.length + 2);
    args[definition.length] = Long.toString(repairSettle.toMillis());
    args[definition.length + 1] = Long.toString(Math.max(0, countsReadAgo.toMillis()));
    return args;
  }

  /** How many of {@code cf_load}'s arguments carry the definition (version .. buckets). */
  private static final int DEFINITION_ARGS = 10;

  static String[] loadArgs(Coupon coupon, long acceptedRows, long reversedRows) {
    return new String[] {
      Long.toString(coupon.version()),
      coupon.name(),
      Long.toString(coupon.totalStock()),
      Integer.toString(coupon.perUserLimit()),
      Long.toString(coupon.thresholdCents()),
      Long.toString(coupon.discountCents()),
      Long.toString(coupon.startsAt().toEpochMilli()),
      Long.toString(coupon.endsAt().toEpochMilli()),
      coupon.status().name(),
      Integer.toString(coupon.buckets()),
      Long.toString(coupon.totalStock() - acceptedRows),
      Long.toString(acceptedRows),
      Long.toString(reversedRows)
    };
  }

  static LoadOutcome toLoadOutcome(List<Object> reply) {
    return switch (text(reply, 0)) {
      case "CREATED" -> new LoadOutcome.Created(number(reply, 1), "LIVE".equals(text(reply, 2)));
      case "UPDATED" -> new LoadOutcome.Updated(number(reply, 1), number(reply, 2));
      case "UNCHANGED" -> new LoadOutcome.Unchanged(number(reply, 1), number(reply, 2));
      case "COUPON_NOT_FOUND" -> new LoadOutcome.Absent();
      default -> new LoadOutcome.Refused(text(reply, 1));
    };
  }

  /**
   * Pauses or resumes at once.
   *
   * @param version the definition version that made this change, or 0 for an emergency change in
   *     Redis alone
   * @return the status Redis now holds, empty when Redis does not hold the coupon
   */
  public CompletableFuture<Optional<CouponStatus>> setStatus(
      long couponId, CouponStatus status, long version) {
    String function = status == CouponStatus.PAUSED ? "cf_pause" : "cf_resume";
    String[] args = version > 0 ? new String[] {Long.toString(version)} : new String[0];
    return call(function, false, new String[] {CouponKeys.meta(prefix, couponId)}, args)
        .thenApply(
            reply ->
                switch (text(reply, 0)) {
                  case "COUPON_NOT_FOUND" -> Optional.<CouponStatus>empty();
                  case "UNCHANGED" -> Optional.of(CouponStatus.valueOf(text(reply, 1)));
                  default -> Optional.of(CouponStatus.valueOf(text(reply, 0)));
                });
  }

  /** The coupon as Redis holds it, empty when it is not live there. */
  public CompletableFuture<Optional<LiveCoupon>> coupon(long couponId) {
    return call("cf_coupon", true, new String[] {CouponKeys.meta(prefix, couponId)})
        .thenApply(
            reply ->
                reply.isEmpty()
                    ? Optional.empty()
                    : Optional.of(liveCoupon(couponId, pairs(reply))));
  }

  /** The coupon, its counters and its outbox in one read; empty when Redis does not hold it. */
  public CompletableFuture<Optional<CouponInspection>> inspect(long couponId) {
    return call(
            "cf_inspect",
            true,
            new String[] {CouponKeys.meta(prefix, couponId), CouponKeys.outbox(prefix, couponId)})
        .thenApply(
            reply -> {
              if (reply.isEmpty()) {
                return Optional.empty();
              }
              Map<String, String> f = pairs(reply);
              String oldest = f.getOrDefault("oldestPendingId", "");
              return Optional.of(
                  new CouponInspection(
                      liveCoupon(couponId, f),
                      "1".equals(f.get("fenced")),
                      Long.parseLong(f.get("pending")),
                      Long.parseLong(f.get("pendingAccepts")),
                      Long.parseLong(f.get("pendingReversals")),
                      oldest.isEmpty() ? Optional.empty() : Optional.of(oldest),
                      Instant.ofEpochMilli(Long.parseLong(f.get("now")))));
            });
  }

  /**
   * May the coupon be repaired (or created) now? Answers the epoch every repair call carries, or
   * how long the node's incarnation still has to settle ({@link RedisSettings#repairSettle}). See
   * "Fencing" in {@code couponflow.lua}.
   */
  public CompletableFuture<RepairStart> repairBegin(long couponId) {
    return call(
            "cf_repair_begin",
            false,
            new String[] {CouponKeys.meta(prefix, couponId)},
            Long.toString(repairSettle.toMillis()))
        .thenApply(
            reply ->
                switch (text(reply, 0)) {
                  case "LIVE" -> new RepairStart.Live(text(reply, 1));
                  case "SETTLING" -> new RepairStart.Settling(Duration.ofMillis(number(reply, 1)));
                  case "FENCED" ->
                      new RepairStart.Fenced(text(reply, 1), "ABSENT".equals(text(reply, 2)));
                  default -> throw unexpected("cf_repair_begin", reply);
                });
  }

  /** Fences a live coupon: it decides nothing until repaired. False when Redis lacks it. */
  public CompletableFuture<Boolean> fence(long couponId) {
    return call("cf_fence", false, new String[] {CouponKeys.meta(prefix, couponId)})
        .thenApply(reply -> "FENCED".equals(text(reply, 0)));
  }

  /** Every redemption record, user count and idempotency key the coupon holds, read whole. */
  public CompletableFuture<CouponRecords> records(long couponId, int buckets) {
    CouponKeys k = keys(couponId, buckets);
    List<CompletableFuture<List<Object>>> reads = new ArrayList<>();
    reads.add(call("cf_read", true, new String[] {k.history()}));
    reads.addAll(readBuckets("cf_read", k));
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Map<RedemptionId, Redemption> redemptions = new HashMap<>();
              Map<String, Long> users = new HashMap<>();
              Map<String, RedemptionId> keys = new HashMap<>();
              pairs(hash(reads.get(0).join(), 0))
                  .forEach(
                      (field, value) -> {
                        RedemptionId id = RecordFormat.target(couponId, field);
                        Redemption r = RecordFormat.parse(couponId, id.orderId(), value);
                        redemptions.put(r.redemptionId(), r);
                      });
              for (int c = 1; c < reads.size(); c++) {
                List<Object> reply = reads.get(c).join();
                for (int i = 0; i < reply.size(); i += 3) {
                  pairs(hash(reply, i))
                      .forEach(
                          (order, value) -> {
                            Redemption r = RecordFormat.parse(couponId, order, value);
                            redemptions.put(r.redemptionId(), r);
                          });
                  pairs(hash(reply, i + 1))
                      .forEach((user, count) -> users.put(user, Long.parseLong(count)));
                  pairs(hash(reply, i + 2))
                      .forEach(
                          (key, target) -> keys.put(key, RecordFormat.target(couponId, target)));
                }
              }
              return new CouponRecords(redemptions, users, keys);
            });
  }

  /**
   * Every idempotency key, user and order the coupon's buckets hold, read bucket by bucket ({@code
   * cf_members}, {@value #READ_BUCKETS} buckets a call): not one atomic read.
   */
  public CompletableFuture<CouponMembers> members(long couponId, int buckets) {
    List<CompletableFuture<List<Object>>> reads =
        readBuckets("cf_members", keys(couponId, buckets));
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              Set<String> keys = new HashSet<>();
              Set<String> users = new HashSet<>();
              Set<String> orders = new HashSet<>();
              for (CompletableFuture<List<Object>> read : reads) {
                List<Object> reply = read.join();
                for (int i = 0; i < reply.size(); i += 3) {
                  hash(reply, i).forEach(order -> orders.add(String.valueOf(order)));
                  hash(reply, i + 1).forEach(user -> users.add(String.valueOf(user)));
                  hash(reply, i + 2).forEach(key -> keys.add(String.valueOf(key)));
                }
              }
              return new CouponMembers(keys, users, orders);
            });
  }

  /**
   * Calls a function over every bucket of a coupon, {@value #READ_BUCKETS} buckets a call, with the
   * keys of each bucket in the order orders, users, idempotency keys.
   */
  private List<CompletableFuture<List<Object>>> readBuckets(String function, CouponKeys k) {
    List<CompletableFuture<List<Object>>> reads = new ArrayList<>();
    for (int from = 0; from < k.buckets(); from += READ_BUCKETS) {
      int to = Math.min(k.buckets(), from + READ_BUCKETS);
      String[] names = new String[3 * (to - from)];
      for (int b = from; b < to; b++) {
        int i = 3 * (b - from);
        names[i] = k.ordersBucket(b);
        names[i + 1] = k.usersBucket(b);
        names[i + 2] = k.idempotencyBucket(b);
      }
      reads.add(call(function, true, names));
    }
    return reads;
  }

  /**
   * Writes to a fenced coupon what {@code target} holds and {@code current} (what Redis holds now,
   * from {@link #records}) lacks or holds otherwise: records, user counts and idempotency keys.
   * Nothing is written to a coupon that is live, or once the node's incarnation is not {@code
   * epoch}'s any more; the answer then says which.
   *
   * @return {@link RepairEnd.Done} (with null counters) when everything is written
   */
  public CompletableFuture<RepairEnd> repairWrite(
      long couponId, int buckets, String epoch, CouponRecords current, CouponRecords target) {
    CouponKeys k = keys(couponId, buckets);
    Map<String, HashChange> changes = new TreeMap<>();
    Map<String, Redemption> latest = target.latestPerOrder();
    Map<String, Redemption> latestNow = current.latestPerOrder();
    for (Redemption r : target.redemptions().values()) {
      String value = RecordFormat.format(r);
      Redemption sameNow = current.redemptions().get(r.redemptionId());
      boolean isLatest = latest.get(r.orderId()) == r;
      boolean wasLatest = sameNow != null && latestNow.get(r.orderId()) == sameNow;
      if (isLatest) {
        if (!(wasLatest && value.equals(RecordFormat.format(sameNow)))) {
          change(changes, k.orders(r.orderId())).set.put(r.orderId(), value);
        }
      } else if (sameNow == null || wasLatest || !value.equals(RecordFormat.format(sameNow))) {
        change(changes, k.history()).set.put(RecordFormat.historyField(r.redemptionId()), value);
      }
    }
    diff(changes, current.users(), target.users(), k::users, count -> Long.toString(count));
    diff(changes, current.keys(), target.keys(), k::idempotency, RecordFormat::historyField);

    List<CompletableFuture<List<Object>>> writes = new ArrayList<>();
    changes.forEach(
        (hashKey, change) -> {
          for (String[] args : change.calls(epoch, retentionMillis)) {
            writes.add(call("cf_repair_write", false, new String[] {k.meta(), hashKey}, args));
          }
        });
    return CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new))
        .thenApply(
            done -> {
              for (CompletableFuture<List<Object>> w : writes) {
                RepairEnd refused = repairRefusal(w.join());
                if (refused != null) {
                  return refused;
                }
              }
              return new RepairEnd.Done(null);
            });
  }

  /**
   * Sets a fenced coupon's counters and makes it live again in {@code epoch}'s incarnation: the
   * last step of a repair.
   */
  public CompletableFuture<RepairEnd> repairEnd(long couponId, String epoch, Counters counters) {
    return call(
            "cf_repair_end",
            false,
            new String[] {CouponKeys.meta(prefix, couponId)},
            epoch,
            Long.toString(counters.stock()),
            Long.toString(counters.accepted()),
            Long.toString(counters.reversed()))
        .thenApply(
            reply -> {
              if ("LIVE".equals(text(reply, 0))) {
                return new RepairEnd.Done(
                    new Counters(number(reply, 1), number(reply, 2), number(reply, 3)));
              }
              if ("ALREADY_LIVE".equals(text(reply, 0))) {
                return new RepairEnd.AlreadyLive();
              }
              RepairEnd refused = repairRefusal(reply);
              if (refused == null) {
                throw unexpected("cf_repair_end", reply);
              }
              return refused;
            });
  }

  private static RepairEnd repairRefusal(List<Object> reply) {
    return switch (text(reply, 0)) {
      case "WRITTEN" -> null;
      case "LIVE" -> new RepairEnd.AlreadyLive();
      case "EPOCH_CHANGED" -> new RepairEnd.EpochChanged();
      case "COUPON_NOT_FOUND" -> new RepairEnd.CouponMissing();
      default -> throw unexpected("cf_repair_write", reply);
    };
  }

  /** The fields one repair sets and deletes in one hash. */
  private static final class HashChange {
    final Map<String, String> set = new TreeMap<>();
    final List<String> delete = new ArrayList<>();

    /** The cf_repair_write argument lists, at most {@link #WRITE_FIELDS} fields each. */
    List<String[]> calls(String epoch, long retentionMillis) {
      List<String[]> calls = new ArrayList<>();
      List<Map.Entry<String, String>> sets = new ArrayList<>(set.entrySet());
      for (int from = 0; from < sets.size(); from += WRITE_FIELDS) {
        List<Map.Entry<String, String>> chunk =
            sets.subList(from, Math.min(sets.size(), from + WRITE_FIELDS));
        List<String> args =
            new ArrayList<>(
                List.of(epoch, Long.toString(retentionMillis), Integer.toString(chunk.size())));
        chunk.forEach(e -> args.addAll(List.of(e.getKey(), e.getValue())));
        calls.add(args.toArray(String[]::new));
      }
      for (int from = 0; from < delete.size(); from += WRITE_FIELDS) {
        List<String> args = new ArrayList<>(List.of(epoch, Long.toString(retentionMillis), "0"));
        args.addAll(delete.subList(from, Math.min(delete.size(), from + WRITE_FIELDS)));
        calls.add(args.toArray(String[]::new));
      }
      return calls;
    }
  }

  /**
   * One field per entry, in the hash {@code hashOf} names: sets what {@code target} holds and
   * {@code current} lacks or holds otherwise, deletes what only {@code current} holds.
   */
  private static <V> void diff(
      Map<String, HashChange> changes,
      Map<String, V> current,
      Map<String, V> target,
      Function<String, String> hashOf,
      Function<V, String> format) {
    target.forEach(
        (field, value) -> {
          if (!value.equals(current.get(field))) {
            change(changes, hashOf.apply(field)).set.put(field, format.apply(value));
          }
        });
    current.keySet().stream()
        .filter(field -> !target.containsKey(field))
        .forEach(field -> change(changes, hashOf.apply(field)).delete.add(field));
  }

  private static HashChange change(Map<String, HashChange> changes, String hashKey) {
    return changes.computeIfAbsent(hashKey, key -> new HashChange());
  }

  @SuppressWarnings("unchecked")
  private static List<Object> hash(List<Object> reply, int index) {
    return (List<Object>) reply.get(index);
  }

  private static IllegalStateException unexpected(String function, List<Object> reply) {
    return new IllegalStateException(function + " answered " + reply);
  }

  /**
   * Outbox entries at least {@code minAge} old by the Redis clock, oldest first.
   *
   * @param afterId read after this entry id (exclusive), or null from the start
   */
  public CompletableFuture<List<OutboxEntry>> outboxRead(
      long couponId, Duration minAge, int count, String afterId) {
    return call(
            "cf_outbox_read",
            true,
            new String[] {CouponKeys.outbox(prefix, couponId)},
            Long.toString(minAge.toMillis()),
            Integer.toString(count),
            afterId == null ? "" : afterId)
        .thenApply(reply -> outboxEntries(couponId, reply));
  }

  /**
   * How many entries the coupon's outbox holds, the oldest of them and the clock of the coupon's
   * Redis node, in one read ({@code cf_outbox_backlog}).
   */
  public CompletableFuture<OutboxBacklog> outboxBacklog(long couponId) {
    return call("cf_outbox_backlog", true, new String[] {CouponKeys.outbox(prefix, couponId)})
        .thenApply(
            reply ->
                new OutboxBacklog(
                    number(reply, 0),
                    text(reply, 1).isEmpty() ? Optional.empty() : Optional.of(text(reply, 1)),
                    Instant.ofEpochMilli(number(reply, 2))));
  }

  /**
   * The Redis clock of the node that holds the coupon: the clock its outbox entry ids (and its
   * window checks) are on. Age an entry against this, never against the caller's own clock.
   */
  public CompletableFuture<Instant> time(long couponId) {
    return withLibrary(
        () ->
            redis
                .commands()
                .<Long>fcallReadOnly(
                    "cf_time",
                    ScriptOutputType.INTEGER,
                    new String[] {CouponKeys.outbox(prefix, couponId)})
                .toCompletableFuture()
                .thenApply(Instant::ofEpochMilli));
  }

  /** Deletes entries MySQL now holds; returns how many were deleted. */
  public CompletableFuture<Long> outboxAck(long couponId, List<String> entryIds) {
    if (entryIds.isEmpty()) {
      return CompletableFuture.completedFuture(0L);
    }
    return withLibrary(
        () ->
            redis
                .commands()
                .<Long>fcall(
                    "cf_outbox_ack",
                    ScriptOutputType.INTEGER,
                    new String[] {CouponKeys.outbox(prefix, couponId)},
                    entryIds.toArray(String[]::new))
                .toCompletableFuture());
  }

  /** The coupons Redis holds (live or fenced), on every master, in id order. */
  public List<Long> couponIds(Duration timeout) {
    return idsOf(redis.scan(CouponKeys.metaPattern(prefix), "hash", timeout));
  }

  /** The coupons that have an outbox with pending entries, on every master. */
  public List<Long> couponsWithPendingOutbox(Duration timeout) {
    return idsOf(redis.scan(CouponKeys.outboxPattern(prefix), "stream", timeout));
  }

  private static List<Long> idsOf(List<String> keys) {
    return keys.stream()
        .map(CouponKeys::couponIdOf)
        .filter(id -> id > 0)
        .distinct()
        .sorted()
        .toList();
  }

  private CompletableFuture<List<Object>> call(
      String function, boolean readOnly, String[] keys, String... args) {
    return withLibrary(() -> invoke(function, readOnly, keys, args));
  }

  /**
   * Runs a command; when the library is missing, loads it and runs the command once more. Failures
   * are mapped by {@link RedisReplies#map}.
   */
  private <T> CompletableFuture<T> withLibrary(Supplier<CompletableFuture<T>> command) {
    return command
        .get()
        .exceptionallyCompose(e -> retryIfLibraryMissing(e, command))
        .exceptionallyCompose(e -> CompletableFuture.failedFuture(RedisReplies.map(e)));
  }

  private CompletableFuture<List<Object>> invoke(
      String function, boolean readOnly, String[] keys, String... args) {
    return (readOnly
            ? redis
                .commands()
                .<List<Object>>fcallReadOnly(function, ScriptOutputType.MULTI, keys, args)
            : redis.commands().<List<Object>>fcall(function, ScriptOutputType.MULTI, keys, args))
        .toCompletableFuture();
  }

  private <T> CompletableFuture<T> retryIfLibraryMissing(
      Throwable failure, Supplier<CompletableFuture<T>> again) {
    Throwable cause = RedisReplies.unwrap(failure);
    if (RedisReplies.isFunctionMissing(cause)) {
      return CouponLibrary.ensureLoaded(redis).thenCompose(v -> again.get());
    }
    return CompletableFuture.failedFuture(cause);
  }

  private static Redemption redemption(long couponId, String orderId, List<Object> reply) {
    RedemptionStatus status =
        "R".equals(text(reply, 6)) ? RedemptionStatus.REVERSED : RedemptionStatus.ACCEPTED;
    String reversedAt = text(reply, 7);
    return new Redemption(
        new RedemptionId(couponId, orderId, Integer.parseInt(text(reply, 1))),
        text(reply, 2),
        Long.parseLong(text(reply, 3)),
        Long.parseLong(text(reply, 4)),
        status,
        Instant.ofEpochMilli(Long.parseLong(text(reply, 5))),
        status == RedemptionStatus.REVERSED
            ? Instant.ofEpochMilli(Long.parseLong(reversedAt))
            : null);
  }

  /** The meta hash's fields as a coupon: the definition cf_load wrote, and the counters. */
  private static LiveCoupon liveCoupon(long couponId, Map<String, String> f) {
    return new LiveCoupon(
        new Coupon(
            couponId,
            f.get("name"),
            Long.parseLong(f.get("total")),
            Integer.parseInt(f.get("limit")),
            Long.parseLong(f.get("threshold")),
            Long.parseLong(f.get("discount")),
            Instant.ofEpochMilli(Long.parseLong(f.get("starts"))),
            Instant.ofEpochMilli(Long.parseLong(f.get("ends"))),
            CouponStatus.valueOf(f.get("status")),
            false,
            Integer.parseInt(f.get("buckets")),
            Long.parseLong(f.get("version"))),
        new Counters(
            Long.parseLong(f.get("stock")),
            Long.parseLong(f.get("accepted")),
            Long.parseLong(f.get("reversed"))));
  }

  @SuppressWarnings("unchecked")
  private static List<OutboxEntry> outboxEntries(long couponId, List<Object> reply) {
    List<OutboxEntry> entries = new ArrayList<>(reply.size());
    for (Object item : reply) {
      List<Object> entry = (List<Object>) item;
      entries.add(
          new OutboxEntry(
              String.valueOf(entry.get(0)), couponId, pairs((List<Object>) entry.get(1))));
    }
    return entries;
  }

  private static Map<String, String> pairs(List<Object> flat) {
    Map<String, String> map = new HashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      map.put(String.valueOf(flat.get(i)), String.valueOf(flat.get(i + 1)));
    }
    return map;
  }

  private static String text(List<Object> reply, int index) {
    Object value = reply.get(index);
    return value == null ? "" : value.toString();
  }

  private static long number(List<Object> reply, int index) {
    return Long.parseLong(text(reply, index));
  }
}
