package io.couponflow.lua;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.RedisSnapshot;
import io.couponflow.testkit.TestSettings;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library's argument checks, one regression test per finding of the fuzzing pass ({@link
 * LibraryArgumentsFuzzIT}): each bad call is answered by an error reply that starts with {@code
 * couponflow:} and names the argument or key, and changes nothing.
 */
class LibraryArgumentsIT {
  private static final AtomicLong IDS = new AtomicLong();
  private static RedisFixture redis;
  private static CouponFunctions functions;

  @BeforeAll
  static void connect() {
    redis = RedisFixture.create(LibraryArgumentsIT.class);
    functions = redis.functions();
  }

  @AfterAll
  static void cleanUp() {
    redis.close();
  }

  private static Coupon live(TestCoupons builder) {
    Coupon c = builder.build();
    join(functions.load(c, 0, 0, Duration.ZERO));
    return c;
  }

  private static String meta(Coupon c) {
    return CouponKeys.meta(redis.prefix(), c.couponId());
  }

  /** The error reply of a call, or a failure when it succeeds. */
  private static String refusal(String function, String[] keys, String... args) {
    return refusal(() -> redis.commands().fcall(function, ScriptOutputType.MULTI, keys, args));
  }

  private static String refusal(Supplier<CompletionStage<Object>> call) {
    try {
      Object reply = join(call.get());
      throw new AssertionError("answered " + reply + " instead of refusing");
    } catch (IllegalStateException e) {
      if (e.getCause() instanceof RedisCommandExecutionException refused) {
        return refused.getMessage();
      }
      throw e;
    }
  }

  private static List<Object> call(String function, String[] keys, String... args) {
    return join(redis.commands().<List<Object>>fcall(function, ScriptOutputType.MULTI, keys, args));
  }

  /** Calls, expects a refusal naming {@code named}, and that nothing under the prefix changed. */
  private static void assertRefusedUnchanged(
      String named, String function, String[] keys, String... args) {
    RedisSnapshot before = redis.snapshot();

    String error = refusal(function, keys, args);

    assertThat(error).startsWith("couponflow: ").contains(named);
    assertThat(before.changesTo(redis.snapshot())).isEmpty();
  }

  @Test
  void refusal_isAnErrorReplyThatStartsWithTheLibrarysName() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    String[] keys = {
      k.meta(), k.users("u"), k.orders("o"), k.idempotency("k"), k.history(), k.outbox()
    };

    assertThat(refusal("cf_redeem", keys, "1", "k", "u", "o", "1.5", "86400000"))
        .startsWith("couponflow: argument 5 (orderAmountCents) must be a whole number");
    assertRefusedUnchanged(
        "argument 4 (limit)", "cf_load", new String[] {meta(c)}, "2", "n", "10", "0");
  }

  private static String[] redeemKeys(Coupon c, String user, String order, String key) {
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    return new String[] {
      k.meta(), k.users(user), k.orders(order), k.idempotency(key), k.history(), k.outbox()
    };
  }

  private static String[] redeemArgs(Coupon c, String user, String order, String key) {
    return new String[] {Integer.toString(c.buckets()), key, user, order, "35000", "86400000"};
  }

  @Test
  void redeem_withoutItsOutboxKey_isRefusedBeforeItTakesStock() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    String[] keys = redeemKeys(c, "u-1", "SO-1", "k-1");

    assertRefusedUnchanged(
        "key 6 must be the coupon's x key",
        "cf_redeem",
        java.util.Arrays.copyOf(keys, 5),
        redeemArgs(c, "u-1", "SO-1", "k-1"));
    assertRefusedUnchanged(
        "key 1 must be the coupon's m key", "cf_redeem", new String[0], "1", "k", "u", "o");
    String[] extra = java.util.Arrays.copyOf(keys, 7);
    extra[6] = keys[5];
    assertRefusedUnchanged(
        "6 keys expected, got 7", "cf_redeem", extra, redeemArgs(c, "u-1", "SO-1", "k-1"));
  }

  @Test
  void redeem_withAKeyOfAnotherCouponOrKind_isRefused() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    Coupon other = live(coupon(IDS.incrementAndGet()));
    String[] args = redeemArgs(c, "u-1", "SO-1", "k-1");
    String[] keys = redeemKeys(c, "u-1", "SO-1", "k-1");
    String[] others = redeemKeys(other, "u-1", "SO-1", "k-1");

    for (int i = 1; i < keys.length; i++) {
      String[] mixed = keys.clone();
      mixed[i] = others[i];
      assertRefusedUnchanged("key " + (i + 1) + " must be the coupon's", "cf_redeem", mixed, args);
    }
    String[] swapped = keys.clone();
    swapped[1] = keys[2];
    assertRefusedUnchanged("key 2 must be the coupon's u key", "cf_redeem", swapped, args);
    String[] untagged = keys.clone();
    untagged[5] = keys[5].replace("{", "").replace("}", "");
    assertRefusedUnchanged("key 6 must be the coupon's x key", "cf_redeem", untagged, args);
  }

  @Test
  void load_intoAKeyOfAnotherKind_isRefused_insteadOfWritingAMetaHashThere() {
    Coupon c = coupon(IDS.incrementAndGet()).build();
    CouponKeys k = functions.keys(c.couponId(), c.buckets());

    assertRefusedUnchanged(
        "key 1 must be the coupon's m key",
        "cf_load",
        new String[] {k.usersBucket(0)},
        CouponFunctions.loadArgs(c, 0, 0));
    assertRefusedUnchanged(
        "key 1 must be the coupon's x key", "cf_outbox_ack", new String[] {k.meta()}, "1-0");
  }

  @Test
  void numbers_onlyDigits_andNoneALuaNumberCannotHoldExactly() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    String[] m = {meta(c)};

    for (String version : List.of("99999999999999999999", "7.", " 7", "0x10", "1e3", "+7")) {
      assertRefusedUnchanged("argument 1 (version) must be a whole number", "cf_pause", m, version);
    }
    Coupon absent = coupon(IDS.incrementAndGet()).build();
    String[] args = CouponFunctions.loadArgs(absent, 0, 0);
    args[12] = "9007199254740993";
    assertRefusedUnchanged(
        "argument 13 (reversedIfAbsent) must be a whole number -9007199254740991..",
        "cf_load",
        new String[] {meta(absent)},
        args);
    args[12] = "0";
    args[10] = "1e1";
    assertRefusedUnchanged(
        "argument 11 (stockIfAbsent)", "cf_load", new String[] {meta(absent)}, args);
  }

  @Test
  void everyArgument_isCheckedWhateverPathTheCallTakes() {
    Coupon c = live(coupon(IDS.incrementAndGet()).stock(10));
    String[] m = {meta(c)};
    String[] args = CouponFunctions.loadArgs(c, 0, 0);
    args[11] = "0.5";
    // Live already, so the ifAbsent arguments are not used; they were not checked either.
    assertRefusedUnchanged("argument 12 (acceptedIfAbsent)", "cf_load", m, args);
  }

  @Test
  void buckets_mustBeAPowerOfTwo_andCompareAsNumbers() {
    Coupon c = live(coupon(IDS.incrementAndGet()).buckets(4));
    String[] keys = redeemKeys(c, "u-1", "SO-1", "k-1");
    String[] args = redeemArgs(c, "u-1", "SO-1", "k-1");

    for (String buckets : List.of("4|", "19", "3", "0", "131072", "four")) {
      args[0] = buckets;
      assertRefusedUnchanged("argument 1 (buckets) must be a ", "cf_redeem", keys, args);
    }
    args[0] = "8";
    assertThat(call("cf_redeem", keys, args)).isEqualTo(List.of("STALE_BUCKETS", "4"));
    args[0] = "004";
    assertThat(call("cf_redeem", keys, args).get(0)).isEqualTo("ACCEPTED");
  }

  @Test
  void definitions_theModelRefuses_areRefused() {
    Coupon c = coupon(IDS.incrementAndGet()).build();
    String[] m = {meta(c)};
    String[] args = CouponFunctions.loadArgs(c, 0, 0);

    args[0] = "0";
    assertRefusedUnchanged("argument 1 (version) must be at least 1", "cf_load", m, args);
    args[0] = "1";
    for (String name : List.of("n".repeat(201), "   ", "", "\t\n")) {
      args[1] = name;
      assertRefusedUnchanged(
          "argument 2 (name) must be 1-200 characters of UTF-8 text, not blank",
          "cf_load",
          m,
          args);
    }
    args[1] = "\ud83d\ude00".repeat(200);
    assertThat(call("cf_load", m, args).get(0)).isEqualTo("CREATED");
    assertRefusedUnchanged("argument 1 (version) must be at least 1", "cf_pause", m, "0");
    String[] absent = {CouponKeys.meta(redis.prefix(), IDS.incrementAndGet())};
    assertRefusedUnchanged("argument 1 (version)", "cf_resume", absent, "x");
  }

  @Test
  void reverse_generationZero_isRefusedNotNotFound() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());

    assertRefusedUnchanged(
        "argument 3 (generation) must be at least 1",
        "cf_reverse",
        new String[] {k.meta(), k.users("u-1"), k.orders("SO-1"), k.history(), k.outbox()},
        Integer.toString(c.buckets()),
        "SO-1",
        "0",
        "u-1",
        "");
  }

  @Test
  void reverse_reasonMySqlWouldRefuse_isRefusedBeforeTheReversal() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    join(functions.redeem(new RedeemRequest(c.couponId(), "k-1", "u-1", "SO-1", 35_000), 1));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    String[] keys = {k.meta(), k.users("u-1"), k.orders("SO-1"), k.history(), k.outbox()};
    String buckets = Integer.toString(c.buckets());

    // redemption.reversal_reason is VARCHAR(256) of utf8mb4: a longer reason, or bytes that are
    // not UTF-8, made the reversal's outbox entry a row MySQL refuses (a dead letter).
    assertRefusedUnchanged(
        "argument 5 (reason) must be at most 256 characters of UTF-8 text, got 257",
        "cf_reverse",
        keys,
        buckets,
        "SO-1",
        "1",
        "u-1",
        "x".repeat(257));
    RedisSnapshot before = redis.snapshot();
    String malformed;
    RedisClient client = RedisClient.create(TestSettings.redisUri());
    try (StatefulRedisConnection<byte[], byte[]> bytes = client.connect(ByteArrayCodec.INSTANCE)) {
      byte[][] byteKeys =
          java.util.Arrays.stream(keys).map(LibraryArgumentsIT::utf8).toArray(byte[][]::new);
      malformed =
          refusal(
              () ->
                  bytes
                      .async()
                      .fcall(
                          "cf_reverse",
                          ScriptOutputType.MULTI,
                          byteKeys,
                          utf8(buckets),
                          utf8("SO-1"),
                          utf8("1"),
                          utf8("u-1"),
                          new byte[] {'o', 'k', (byte) 0xC3, '(', (byte) 0xED, (byte) 0xA0}));
    } finally {
      client.shutdown();
    }
    assertThat(malformed)
        .startsWith(
            "couponflow: argument 5 (reason) must be at most 256 characters of UTF-8 text, got"
                + " malformed");
    assertThat(before.changesTo(redis.snapshot())).isEmpty();
    String longest = "\u65e5".repeat(256);
    assertThat(call("cf_reverse", keys, buckets, "SO-1", "1", "u-1", longest).get(0))
        .isEqualTo("REVERSED");
  }

  @Test
  void outbox_malformedEntryIds_areRefusedByTheLibraryNotByRedis() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    RedeemOutcome.Accepted accepted =
        (RedeemOutcome.Accepted)
            join(
                functions.redeem(new RedeemRequest(c.couponId(), "k-1", "u-1", "SO-1", 35_000), 1));
    String[] x = {CouponKeys.outbox(redis.prefix(), c.couponId())};

    for (String id : List.of("X", accepted.outboxId() + "|", "1-", "-1-0", "9007199254740992-0")) {
      assertRefusedUnchanged(
          "argument 2 (entryId) must be a stream entry id <ms>-<seq>",
          "cf_outbox_ack",
          x,
          accepted.outboxId(),
          id);
    }
    assertThat(
            refusal(
                () ->
                    redis
                        .redis()
                        .commands()
                        .fcallReadOnly(
                            "cf_outbox_read", ScriptOutputType.MULTI, x, "0", "10", "x")))
        .startsWith("couponflow: argument 3 (afterId) must be a stream entry id");
  }

  /** A coupon held fenced, and the epoch a repair of it carries. */
  private static String fencedEpoch(Coupon c) {
    assertThat(join(functions.fence(c.couponId()))).isTrue();
    RepairStart start = join(functions.repairBegin(c.couponId()));
    assertThat(start).isInstanceOf(RepairStart.Fenced.class);
    return ((RepairStart.Fenced) start).epoch();
  }

  @Test
  void repairFunctions_andFence_checkTheirKeysBeforeAnythingElse() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    join(functions.redeem(new RedeemRequest(c.couponId(), "k-1", "epoch", "SO-1", 35_000), 1));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());

    // cf_fence deleted the field "epoch" of whatever hash it was given: here the count of the
    // user named epoch.
    assertRefusedUnchanged(
        "key 1 must be the coupon's m key", "cf_fence", new String[] {k.users("epoch")});
    // Without keys, Redis itself refused the HGET: an error that is not the library's.
    assertRefusedUnchanged(
        "key 1 must be the coupon's m key", "cf_repair_begin", new String[0], "0");
    String epoch = fencedEpoch(c);
    assertRefusedUnchanged(
        "key 1 must be the coupon's m key",
        "cf_repair_end",
        new String[] {k.history()},
        epoch,
        "9",
        "1",
        "0");
    // With the outbox as its first key, cf_repair_write failed at HMGET with WRONGTYPE.
    assertRefusedUnchanged(
        "key 1 must be the coupon's m key",
        "cf_repair_write",
        new String[] {k.outbox(), k.orders("SO-2")},
        epoch,
        "86400000",
        "0",
        "SO-2");
    assertRefusedUnchanged(
        "2 keys expected, got 3",
        "cf_repair_write",
        new String[] {k.meta(), k.orders("SO-2"), k.history()},
        epoch,
        "86400000",
        "0",
        "SO-2");
    Coupon other = live(coupon(IDS.incrementAndGet()));
    assertRefusedUnchanged(
        "key 2 must be the coupon's o key",
        "cf_repair_write",
        new String[] {k.meta(), functions.keys(other.couponId(), 1).orders("SO-2")},
        epoch,
        "86400000",
        "0",
        "SO-2");
    assertRefusedUnchanged(
        "key 2 must be one of the coupon's o:<bucket>, u:<bucket>, i:<bucket> or h keys",
        "cf_repair_write",
        new String[] {k.meta(), k.outbox()},
        epoch,
        "86400000",
        "0",
        "SO-2");
  }

  @Test
  void repairWrite_takesOnlyWhatRedeemAndReverseWrite() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    String epoch = fencedEpoch(c);
    String[] orders = {k.meta(), k.orders("SO-1")};

    // Each was WRITTEN: a record without a user, with a reversal time while accepted, with a
    // number cf_redeem would have written otherwise; an order id with a separator.
    for (String record :
        List.of(
            "1||2000|100|1700000000000|A|",
            "1|u-1|2000|100|1700000000000|A|1700000001000",
            "01|u-1|2000|100|1700000000000|A|",
            "1|u-1|1000000000001|100|1700000000000|A|",
            "1|u-1|2000|100|1700000000000|R|")) {
      assertRefusedUnchanged(
          "argument 5 (record) must be a record",
          "cf_repair_write",
          orders,
          epoch,
          "86400000",
          "1",
          "SO-1",
          record);
    }
    assertRefusedUnchanged(
        "argument 4 (orderId)",
        "cf_repair_write",
        orders,
        epoch,
        "86400000",
        "1",
        "SO|1",
        "1|u-1|2000|100|1700000000000|A|");
    // A history record under another generation than its field's could never be found.
    assertRefusedUnchanged(
        "argument 5 (record) is of generation 1, but argument 4 (historyField) names generation 2",
        "cf_repair_write",
        new String[] {k.meta(), k.history()},
        epoch,
        "86400000",
        "1",
        "SO-1.2",
        "1|u-1|2000|100|1700000000000|R|1700000001000");
    // A count past what HINCRBY takes: every later reversal of the user failed with a raw Redis
    // error ("hash value is not an integer"), and the user could not redeem again.
    assertRefusedUnchanged(
        "argument 5 (userCount) must be a whole number 1..999999999",
        "cf_repair_write",
        new String[] {k.meta(), k.users("u-1")},
        epoch,
        "86400000",
        "1",
        "u-1",
        "99999999999999999999");
    for (String target : List.of("SO-1.0", "SO-1.01", "SO|1.1")) {
      assertRefusedUnchanged(
          "argument 5 (keyTarget) must be orderId.generation",
          "cf_repair_write",
          new String[] {k.meta(), k.idempotency("k-1")},
          epoch,
          "86400000",
          "1",
          "k-1",
          target);
    }
    // The fields to delete were not checked at all.
    assertRefusedUnchanged(
        "argument 4 (idempotencyKey)",
        "cf_repair_write",
        new String[] {k.meta(), k.idempotency("k-1")},
        epoch,
        "86400000",
        "0",
        "k 1");
    assertThat(
            call(
                "cf_repair_write",
                orders,
                epoch,
                "86400000",
                "1",
                "SO-1",
                "1|u-1|2000|100|1700000000000|R|1700000001000",
                "SO-2"))
        .isEqualTo(List.of("WRITTEN"));
  }

  @Test
  void repairEpoch_isAReplicationId() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    String epoch = fencedEpoch(c);

    for (String bad : List.of(" ", epoch.toUpperCase(java.util.Locale.ROOT), epoch + "0", "")) {
      assertRefusedUnchanged(
          "argument 1 (epoch) must be 40 hex digits",
          "cf_repair_end",
          new String[] {k.meta()},
          bad,
          "9",
          "1",
          "0");
    }
    assertThat(call("cf_repair_end", new String[] {k.meta()}, "0".repeat(40), "9", "1", "0"))
        .isEqualTo(List.of("EPOCH_CHANGED", epoch));
  }

  @Test
  void load_settleAndReadAge_areCheckedOnEveryPath_andComeTogether() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    String[] m = {meta(c)};
    String[] definition = CouponFunctions.loadArgs(c, 0, 0);

    // Live already, so they were not used, and not checked either.
    assertRefusedUnchanged(
        "argument 15 (readAgeMs) must be a whole number",
        "cf_load",
        m,
        java.util.stream.Stream.concat(
                java.util.Arrays.stream(definition), java.util.stream.Stream.of("0"))
            .toArray(String[]::new));
    assertRefusedUnchanged(
        "argument 14 (settleMs)",
        "cf_load",
        m,
        java.util.stream.Stream.concat(
                java.util.Arrays.stream(definition), java.util.stream.Stream.of("1.5", "0"))
            .toArray(String[]::new));
    Coupon absent = coupon(IDS.incrementAndGet()).build();
    assertRefusedUnchanged(
        "argument 15 (readAgeMs) must be empty without argument 14 (settleMs)",
        "cf_load",
        new String[] {meta(absent)},
        java.util.stream.Stream.concat(
                java.util.Arrays.stream(CouponFunctions.loadArgs(absent, 0, 0)),
                java.util.stream.Stream.of("", "0"))
            .toArray(String[]::new));
  }

  @Test
  void readAndMembers_takeOneCouponsRecordHashesOnly() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());
    String notACoupon = redis.prefix() + ":{x}:o:0";

    for (String function : List.of("cf_read", "cf_members")) {
      for (String[] keys :
          List.of(
              new String[] {notACoupon},
              new String[] {k.ordersBucket(0), k.meta()},
              new String[] {k.history(), functions.keys(c.couponId() + 1, 1).history()},
              new String[0])) {
        assertThat(
                refusal(
                    () -> redis.commands().fcallReadOnly(function, ScriptOutputType.MULTI, keys)))
            .as(function)
            .startsWith("couponflow: ")
            .contains("key");
      }
    }
  }

  @Test
  void outboxBacklog_takesTheCouponsOutboxKeyOnly() {
    Coupon c = live(coupon(IDS.incrementAndGet()));
    CouponKeys k = functions.keys(c.couponId(), c.buckets());

    for (String[] keys :
        List.of(
            new String[] {k.meta()},
            new String[] {k.outbox(), k.outbox()},
            new String[] {k.outbox().replace("{", "").replace("}", "")},
            new String[0])) {
      assertThat(
              refusal(
                  () ->
                      redis
                          .commands()
                          .fcallReadOnly("cf_outbox_backlog", ScriptOutputType.MULTI, keys)))
          .startsWith("couponflow: ")
          .contains("key");
    }
  }

  @Test
  void loadUpdateOnly_takesNothingAfterIt_andTheCountsOtherwise() {
    Coupon absent = coupon(IDS.incrementAndGet()).build();
    String[] m = {meta(absent)};
    String[] update = CouponFunctions.updateArgs(absent);
    String[] extra = java.util.Arrays.copyOf(update, 12);
    extra[11] = "0";

    assertRefusedUnchanged(
        "argument 11 (stockIfAbsent) is UPDATE_ONLY, so no argument may follow it, got 1 more",
        "cf_load",
        m,
        extra);
    update[10] = "update_only";
    assertRefusedUnchanged(
        "argument 11 (stockIfAbsent) must be a whole number", "cf_load", m, update);
    update[10] = "10";
    assertRefusedUnchanged(
        "argument 12 (acceptedIfAbsent) must be a whole number", "cf_load", m, update);
  }

  @Test
  void loadPlan_checksAsLoadChecks_andWritesNothingEvenForACallLoadTakes() {
    Coupon c = coupon(IDS.incrementAndGet()).build();
    String[] args = CouponFunctions.loadArgs(c, 0, 0);
    args[3] = "0";
    RedisSnapshot before = redis.snapshot();

    assertThat(refusal("cf_load_plan", new String[] {meta(c)}, args))
        .startsWith("couponflow: argument 4 (limit) must be at least 1");
    assertThat(
            refusal(
                "cf_load_plan",
                new String[] {functions.keys(c.couponId(), 1).outbox()},
                CouponFunctions.loadArgs(c, 0, 0)))
        .startsWith("couponflow: key 1 must be the coupon's m key");
    assertThat(call("cf_load_plan", new String[] {meta(c)}, CouponFunctions.loadArgs(c, 0, 0)))
        .containsExactly("CREATED", "10", "FENCED");
    assertThat(before.changesTo(redis.snapshot())).isEmpty();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
