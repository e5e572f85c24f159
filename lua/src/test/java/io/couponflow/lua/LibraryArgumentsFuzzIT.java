package io.couponflow.lua;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.RedisSnapshot;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A fuzzing pass over the argument checks of the couponflow library, against a real Redis under a
 * key prefix of this class's own.
 *
 * <p>Each try takes a well-formed call of one writing function, as the typed Java calls make it,
 * and changes one thing: an argument replaced by a generated value (empty, huge, non-numeric,
 * negative, fractional, with separators such as '|', '.' and ':', in other scripts, or a near miss
 * of the well-formed value), the arguments cut short, or one key replaced or dropped. Each try
 * checks the library's rule for bad arguments (README, "The functions"):
 *
 * <ul>
 *   <li>an argument the contract refuses (the oracle below, {@link Arg#valid}) gets an error reply
 *       that starts with {@code couponflow:} and names the argument, and every key of the coupons
 *       involved is byte for byte what it was ({@link RedisSnapshot});
 *   <li>an argument the contract takes gets a reply, or an error that starts with {@code
 *       couponflow:}: never a Lua runtime error or a raw Redis error.
 * </ul>
 *
 * <p>The oracle states the contract of each argument on its own; where a function cannot take a
 * value in the state its coupon is in, that is a reply (REFUSED, STALE_BUCKETS, ...), not a bad
 * argument.
 */
class LibraryArgumentsFuzzIT {
  private static final Logger log = LoggerFactory.getLogger(LibraryArgumentsFuzzIT.class);
  private static final long MAX_MS = (1L << 53) - 1;
  private static final long MAX_AMOUNT = 1_000_000_000_000L;
  private static final long MAX_GENERATION = 999_999_999;
  private static final long OTHER = 99;

  private static RedisFixture redis;
  private static CouponFunctions functions;
  private static final Map<String, AtomicLong> TRIES = new ConcurrentHashMap<>();
  private static long started;

  @BeforeContainer
  static void connect() {
    redis = RedisFixture.create(LibraryArgumentsFuzzIT.class);
    functions = redis.functions();
    started = System.nanoTime();
    load(OTHER);
  }

  @AfterContainer
  static void report() {
    long total = TRIES.values().stream().mapToLong(AtomicLong::get).sum();
    log.info(
        "Fuzzed the library's arguments: {} tries in {} ms ({})",
        total,
        (System.nanoTime() - started) / 1_000_000,
        new java.util.TreeMap<>(TRIES));
    redis.close();
  }

  // ---------------------------------------------------------------------------------------------
  // The properties: one per writing function.

  @Property(tries = 600)
  void redeem_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(REDEEM.get(), m);
  }

  @Property(tries = 500)
  void reverse_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(REVERSE.get(), m);
  }

  @Property(tries = 800)
  void load_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(
        switch (m.pick() % 4) {
          case 0 -> LOAD_LIVE.get();
          case 1 -> LOAD_ABSENT.get();
          case 2 -> LOAD_LIVE_SETTLED.get();
          default -> LOAD_ABSENT_SETTLED.get();
        },
        m);
  }

  @Property(tries = 300)
  void loadUpdateOnly_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(m.pick() % 2 == 0 ? UPDATE_LIVE.get() : UPDATE_ABSENT.get(), m);
  }

  /** cf_load_plan writes nothing, whatever it is given; its checks are cf_load's. */
  @Property(tries = 500)
  void loadPlan_badArgumentsAreRefused_andNothingIsEverWritten(@ForAll("mutations") Mutation m) {
    check(
        switch (m.pick() % 6) {
          case 0 -> plan(LOAD_LIVE.get());
          case 1 -> plan(LOAD_ABSENT.get());
          case 2 -> plan(LOAD_LIVE_SETTLED.get());
          case 3 -> plan(LOAD_ABSENT_SETTLED.get());
          case 4 -> plan(UPDATE_LIVE.get());
          default -> plan(UPDATE_ABSENT.get());
        },
        m);
  }

  @Property(tries = 300)
  void pauseAndResume_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(m.pick() % 2 == 0 ? PAUSE.get() : RESUME.get(), m);
  }

  @Property(tries = 300)
  void outboxAck_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(OUTBOX_ACK.get(), m);
  }

  @Property(tries = 200)
  void repairBegin_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(REPAIR_BEGIN.get(), m);
  }

  @Property(tries = 1000)
  void repairWrite_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(repairWrite(REPAIR_KINDS.get(m.pick() % REPAIR_KINDS.size())), m);
  }

  @Property(tries = 300)
  void repairEnd_badArgumentsAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(REPAIR_END.get(), m);
  }

  @Property(tries = 150)
  void fence_badKeysAreRefusedAndChangeNothing(@ForAll("mutations") Mutation m) {
    check(FENCE.get(), m);
  }

  /** cf_read writes nothing; its keys are checked all the same. */
  @Property(tries = 150)
  void read_badKeysAreRefused(@ForAll("mutations") Mutation m) {
    check(READ.get(), m);
  }

  /** cf_members writes nothing; its keys are checked as cf_read's. */
  @Property(tries = 150)
  void members_badKeysAreRefused(@ForAll("mutations") Mutation m) {
    check(MEMBERS.get(), m);
  }

  /** cf_outbox_backlog writes nothing; its key is checked all the same. */
  @Property(tries = 100)
  void outboxBacklog_badKeysAreRefused(@ForAll("mutations") Mutation m) {
    check(OUTBOX_BACKLOG.get(), m);
  }

  // ---------------------------------------------------------------------------------------------
  // What a try is, and its check.

  /** How a try departs from the well-formed call. */
  enum Kind {
    /** One argument replaced by a generated value. */
    WILD,
    /** One argument replaced by a near miss of its well-formed value. */
    NEAR,
    /** One argument replaced by a value at the edge of its contract, inside or just out. */
    EDGE,
    /** The arguments cut short before one of them. */
    CUT,
    /** One key replaced by another coupon's key, another kind of key, or nonsense. */
    KEY,
    /** The keys cut short before one of them. */
    FEWER_KEYS
  }

  /**
   * One try.
   *
   * @param pick which argument or key (modulo how many there are), and which function of a pair
   * @param wild the generated value of a {@link Kind#WILD} try
   * @param near which near miss, edge value or other key (modulo how many there are)
   */
  record Mutation(Kind kind, int pick, String wild, int near) {}

  @Provide
  Arbitrary<Mutation> mutations() {
    return Combinators.combine(
            Arbitraries.frequency(
                Tuple.of(35, Kind.WILD),
                Tuple.of(20, Kind.NEAR),
                Tuple.of(20, Kind.EDGE),
                Tuple.of(8, Kind.CUT),
                Tuple.of(12, Kind.KEY),
                Tuple.of(5, Kind.FEWER_KEYS)),
            Arbitraries.integers().between(0, 1_000),
            wild(),
            Arbitraries.integers().between(0, 1_000))
        .as(Mutation::new);
  }

  private static final List<String> EDGES =
      List.of(
          "",
          " ",
          "0",
          "00",
          "-0",
          "-1",
          "1",
          "+1",
          "1.0",
          "1.5",
          "0.5",
          "1e3",
          "1E3",
          "0x10",
          " 7",
          "7 ",
          "\t7",
          "inf",
          "-inf",
          "nan",
          "NaN",
          "\u0661\u0662",
          "\uff11\uff12",
          "9007199254740991",
          "9007199254740992",
          "9007199254740993",
          "99999999999999999999",
          "18446744073709551616",
          "-9007199254740992",
          "1000000000000",
          "1000000000001",
          "999999999",
          "1000000000",
          "65536",
          "65537",
          "131072",
          "3",
          "1|2",
          "a|b",
          "|",
          "a.b",
          ".",
          "a:b",
          "{1}",
          "{",
          "}",
          "\u00e4",
          "\u65e5\u672c",
          "\ud83d\ude00",
          "a b",
          "%",
          "%d",
          "\n",
          "\u0000",
          "ACTIVE",
          "active",
          "PAUSED ",
          "A",
          "R",
          "r",
          "1-0",
          "0-0",
          "1-",
          "-1-1",
          "1-1-1",
          "9007199254740992-0",
          "1-9007199254740992",
          "*",
          "$",
          "-",
          "(1",
          "[1]",
          "UPDATE_ONLY");

  private static Arbitrary<String> wild() {
    return Arbitraries.frequencyOf(
        Tuple.of(4, Arbitraries.of(EDGES)),
        Tuple.of(2, Arbitraries.strings().withChars("0123456789").ofMinLength(1).ofMaxLength(24)),
        Tuple.of(2, Arbitraries.strings().withChars("0123456789-+.eE|: xX").ofMaxLength(24)),
        Tuple.of(2, Arbitraries.strings().withCharRange('!', '~').ofMaxLength(80)),
        Tuple.of(
            1,
            Arbitraries.strings()
                .withCharRange('\u0000', '\ud7ff')
                .withCharRange('\ue000', '\ufffd')
                .ofMaxLength(40)),
        Tuple.of(
            1, Arbitraries.strings().withChars("AbC019_-.:|").ofMinLength(60).ofMaxLength(300)),
        Tuple.of(
            1,
            Arbitraries.strings()
                .withChars("a\u00e9\u65e5x")
                .ofMinLength(190)
                .ofMaxLength(270)
                .map(s -> s.replace("x", "\ud83d\ude00"))),
        Tuple.of(1, Arbitraries.longs().map(String::valueOf)));
  }

  /** Ways to miss a well-formed value narrowly. */
  private static final List<Function<String, String>> NEAR_MISSES =
      List.of(
          s -> s + "|",
          s -> "|" + s,
          s -> s + ".",
          s -> s + ".5",
          s -> "-" + s,
          s -> s + " ",
          s -> " " + s,
          s -> s + s,
          s -> s.repeat(70),
          s -> s.toLowerCase(Locale.ROOT),
          s -> s.isEmpty() ? "x" : s.substring(1),
          s -> s + "0",
          s -> s + "9",
          s -> s + "\ud83d\ude00",
          s -> s + "\u00e4",
          s -> s.replace('1', '\u0661'),
          s -> s + ":x",
          s -> s + "{x}",
          s -> "",
          s -> s + "e2",
          s -> "0" + s);

  /**
   * One writing function called the way its Java caller calls it, and what it may take.
   *
   * @param specs one per argument of the well-formed call: its name and the values at its edges
   * @param oracle when not null, the whole contract (keys, then arguments) instead of {@link
   *     #specs}, {@link #crossCheck} and {@link #keysValid}: for a call whose arguments mean what
   *     one of them or a key says (cf_repair_write), or whose keys are not a fixed list (cf_read)
   */
  private record Target(
      String function,
      ScriptOutputType output,
      List<String> keys,
      List<String> args,
      List<Arg> specs,
      Function<List<String>, Optional<String>> crossCheck,
      List<Long> coupons,
      BiFunction<List<String>, List<String>, Optional<String>> oracle) {
    Target(
        String function,
        ScriptOutputType output,
        List<String> keys,
        List<String> args,
        List<Arg> specs,
        Function<List<String>, Optional<String>> crossCheck,
        List<Long> coupons) {
      this(function, output, keys, args, specs, crossCheck, coupons, null);
    }
  }

  /**
   * What one argument may be.
   *
   * @param name as the library's error messages name it
   * @param rule the contract, and values at its edges
   */
  private record Arg(String name, Rule rule) {
    boolean valid(String value) {
      return rule.valid().test(value);
    }
  }

  private static void check(Target t, Mutation m) {
    TRIES.computeIfAbsent(t.function(), k -> new AtomicLong()).incrementAndGet();
    List<String> keys = new ArrayList<>(t.keys());
    List<String> args = new ArrayList<>(t.args());
    Optional<String> bad;
    String what;
    // A function without arguments (cf_fence, cf_read, ...) has only its keys to get wrong.
    Kind kind =
        args.isEmpty() && EnumSet.of(Kind.WILD, Kind.NEAR, Kind.EDGE).contains(m.kind())
            ? Kind.KEY
            : m.kind();
    switch (kind) {
      case KEY, FEWER_KEYS -> {
        int k = m.pick() % keys.size();
        if (kind == Kind.FEWER_KEYS) {
          keys = new ArrayList<>(keys.subList(0, k));
          what = "keys cut to " + k;
        } else {
          String replaced = otherKey(keys.get(k), m);
          what = "key " + (k + 1) + " = " + replaced;
          keys.set(k, replaced);
        }
        if (t.oracle() != null) {
          bad = t.oracle().apply(keys, args);
        } else {
          bad = keysValid(keys, t.keys()) ? Optional.empty() : Optional.of("key");
        }
      }
      case CUT -> {
        int i = m.pick() % (args.size() + 1);
        args = new ArrayList<>(args.subList(0, i));
        what = "args cut to " + i;
        bad = t.oracle() != null ? t.oracle().apply(keys, args) : firstBad(t, args);
      }
      default -> {
        int i = m.pick() % args.size();
        List<String> edges = t.specs().get(i).rule().edges();
        String value =
            switch (kind) {
              case NEAR -> NEAR_MISSES.get(m.near() % NEAR_MISSES.size()).apply(args.get(i));
              case EDGE -> edges.get(m.near() % edges.size());
              default -> m.wild();
            };
        args.set(i, value);
        what = "argument " + (i + 1) + " (" + t.specs().get(i).name() + ") = '" + value + "'";
        bad = t.oracle() != null ? t.oracle().apply(keys, args) : firstBad(t, args);
      }
    }
    List<String> watched = watched(t.coupons());
    RedisSnapshot before = RedisSnapshot.of(redis.commands(), watched);
    String error = null;
    Object reply = null;
    try {
      reply =
          RedisFixture.join(
              redis
                  .commands()
                  .fcall(
                      t.function(),
                      t.output(),
                      keys.toArray(String[]::new),
                      args.toArray(String[]::new)));
    } catch (IllegalStateException e) {
      if (!(e.getCause() instanceof RedisCommandExecutionException redisError)) {
        throw e;
      }
      error = String.valueOf(redisError.getMessage());
    }
    RedisSnapshot after = RedisSnapshot.of(redis.commands(), watched);
    String call = t.function() + " with " + what + " -> " + (error != null ? error : reply);
    verdict(bad, error, before, after, call);
    if (READ_ONLY.contains(t.function())) {
      assertThat(before.changesTo(after)).as(call).isEmpty();
    }
  }

  /** The functions flagged no-writes that have a target here: they change nothing, ever. */
  private static final java.util.Set<String> READ_ONLY =
      java.util.Set.of("cf_load_plan", "cf_read", "cf_members", "cf_outbox_backlog");

  private static void verdict(
      Optional<String> bad, String error, RedisSnapshot before, RedisSnapshot after, String call) {
    if (bad.isPresent()) {
      assertThat(error).as(call).isNotNull().startsWith("couponflow:").contains(bad.get());
      assertThat(before.changesTo(after)).as(call).isEmpty();
    } else if (error != null) {
      assertThat(error).as(call).startsWith("couponflow:");
    }
  }

  /** The first argument the contract refuses, by name; empty when all are fine. */
  private static Optional<String> firstBad(Target t, List<String> args) {
    for (int i = 0; i < t.specs().size(); i++) {
      Arg spec = t.specs().get(i);
      if (!spec.valid(i < args.size() ? args.get(i) : null)) {
        return Optional.of("(" + spec.name() + ")");
      }
    }
    return t.crossCheck().apply(args);
  }

  private static final Pattern KEY_SHAPE =
      Pattern.compile("([^{}:]+:\\{[0-9]+\\}:)(m|h|x|[uoi]:[0-9]+)");

  /**
   * The contract of KEYS: one coupon's keys of the kinds the well-formed call has, in its order,
   * under one prefix and hash tag. (With one key, another coupon's key is a call on that coupon.)
   */
  private static boolean keysValid(List<String> keys, List<String> wellFormed) {
    if (keys.size() != wellFormed.size()) {
      return false;
    }
    String base = null;
    for (int i = 0; i < keys.size(); i++) {
      Matcher key = KEY_SHAPE.matcher(keys.get(i));
      Matcher expected = KEY_SHAPE.matcher(wellFormed.get(i));
      if (!key.matches()
          || !expected.matches()
          || key.group(2).charAt(0) != expected.group(2).charAt(0)
          || base != null && !base.equals(key.group(1))) {
        return false;
      }
      base = key.group(1);
    }
    return true;
  }

  /** Another key in the place of {@code key}: of another coupon, of another kind, or nonsense. */
  private static String otherKey(String key, Mutation m) {
    String prefix = redis.prefix();
    String coupon = key.substring(0, key.indexOf('}') + 1);
    String kind = key.substring(key.indexOf('}') + 2);
    return switch (m.near() % 6) {
      case 0 -> prefix + ":{" + OTHER + "}:" + kind;
      case 1 -> coupon + ":" + (kind.equals("m") ? "x" : "m");
      case 2 -> coupon + ":" + (kind.startsWith("u") ? "o:0" : "u:0");
      case 3 -> key.replace("{", "").replace("}", "");
      case 4 -> key.replaceFirst(":\\{", ":x:{");
      default -> m.wild();
    };
  }

  /** Every key of these coupons, and of the other coupon keys move to. */
  private static List<String> watched(List<Long> coupons) {
    List<String> keys = new ArrayList<>();
    coupons.forEach(c -> keys.addAll(keysOf(c)));
    if (!coupons.contains(OTHER)) {
      keys.addAll(keysOf(OTHER));
    }
    return keys;
  }

  /** Every key of a coupon of one bucket. */
  private static List<String> keysOf(long coupon) {
    CouponKeys k = functions.keys(coupon, 1);
    return List.of(
        k.meta(),
        k.usersBucket(0),
        k.ordersBucket(0),
        k.idempotencyBucket(0),
        k.history(),
        k.outbox());
  }

  // ---------------------------------------------------------------------------------------------
  // The contract of each argument: a rule, and the values at its edges (just inside, just out).

  /** What an argument may be ({@code null}: missing), and values at the edge of that. */
  private record Rule(Predicate<String> valid, List<String> edges) {}

  private static boolean isWhole(String s, long max) {
    return s != null
        && s.matches("[0-9]+")
        && new BigInteger(s).compareTo(BigInteger.valueOf(max)) <= 0;
  }

  private static List<String> numberEdges(long max) {
    return List.of(
        "0", "-0", "-1", "1", Long.toString(max), Long.toString(max + 1), "0" + max, max + ".0");
  }

  private static Rule count(long max) {
    return new Rule(s -> isWhole(s, max), numberEdges(max));
  }

  private static Rule positive(long max) {
    return new Rule(s -> isWhole(s, max) && new BigInteger(s).signum() > 0, numberEdges(max));
  }

  private static Rule signed(long max) {
    List<String> edges = new ArrayList<>(numberEdges(max));
    edges.addAll(List.of("-" + max, "-" + (max + 1), "--1", "-"));
    return new Rule(s -> s != null && isWhole(s.startsWith("-") ? s.substring(1) : s, max), edges);
  }

  private static final Rule BUCKETS =
      new Rule(
          s -> isWhole(s, 65_536) && Long.bitCount(Long.parseLong(s)) == 1,
          List.of("0", "1", "2", "3", "65535", "65536", "65537", "131072", "01", "1.0"));

  private static final Rule ID =
      new Rule(
          s -> s != null && s.matches("[A-Za-z0-9_-]{1,64}"),
          List.of("a".repeat(64), "a".repeat(65), "", "a|b", "a.b", "a:b", "a b", "\u00e4"));

  private static final Rule KEY =
      new Rule(
          s -> s != null && s.matches("[A-Za-z0-9._:-]{1,128}"),
          List.of("k".repeat(128), "k".repeat(129), "", "a.b:c_d-e", "a|b", "a b", "\u00e4"));

  private static Rule text(int maxCodePoints, boolean mayBeEmpty) {
    List<String> edges = new ArrayList<>();
    for (String unit : List.of("x", "\u00e9", "\u65e5", "\ud83d\ude00")) {
      edges.add(unit.repeat(maxCodePoints));
      edges.add(unit.repeat(maxCodePoints + 1));
    }
    edges.addAll(List.of("", " ", "\t\n", "\u0000", "|", "\u3000"));
    return new Rule(
        s ->
            s == null
                ? mayBeEmpty
                : s.codePointCount(0, s.length()) <= maxCodePoints
                    && (mayBeEmpty || !s.isEmpty() && !s.matches("[ \\t\\n\\r\\f\\u000b]*")),
        edges);
  }

  private static Rule oneOf(String... values) {
    List<String> edges = new ArrayList<>(List.of(values));
    for (String v : values) {
      edges.addAll(List.of(v.toLowerCase(Locale.ROOT), v + " ", v.substring(1)));
    }
    return new Rule(s -> s != null && List.of(values).contains(s), edges);
  }

  private static Rule optional(Rule rule) {
    List<String> edges = new ArrayList<>(rule.edges());
    edges.add("");
    return new Rule(s -> s == null || s.isEmpty() || rule.valid().test(s), edges);
  }

  private static final Rule ANYTHING = new Rule(s -> true, List.of("", "x"));

  private static final Rule ENTRY_ID =
      new Rule(
          s ->
              s == null
                  || s.matches("[0-9]+-[0-9]+")
                      && isWhole(s.substring(0, s.indexOf('-')), MAX_MS)
                      && isWhole(s.substring(s.indexOf('-') + 1), MAX_MS),
          List.of(
              "0-0",
              "1",
              "1-",
              "-1",
              MAX_MS + "-0",
              (MAX_MS + 1) + "-0",
              "0-" + (MAX_MS + 1),
              "1-1-1",
              "*"));

  private static final Function<List<String>, Optional<String>> NO_CROSS = a -> Optional.empty();

  // ---------------------------------------------------------------------------------------------
  // The targets: a coupon each (one bucket, so that its keys are known), called as Java calls.

  private static Coupon coupon(long id, long stock) {
    Instant now = Instant.now();
    return new Coupon(
        id,
        "fuzz " + id,
        stock,
        1_000,
        0,
        100,
        now.minusSeconds(3600),
        now.plusSeconds(86_400),
        CouponStatus.ACTIVE,
        false,
        1,
        1);
  }

  private static Coupon load(long id) {
    Coupon c = coupon(id, 1_000_000);
    if (functions.coupon(id).join().isEmpty()) {
      functions.load(c, 0, 0, Duration.ZERO).join();
    }
    return c;
  }

  private static String[] keys(long coupon, String user, String order, String key) {
    CouponKeys k = functions.keys(coupon, 1);
    return new String[] {
      k.meta(), k.users(user), k.orders(order), k.idempotency(key), k.history(), k.outbox()
    };
  }

  private static final Supplier<Target> REDEEM =
      () -> {
        load(1);
        return new Target(
            "cf_redeem",
            ScriptOutputType.MULTI,
            List.of(keys(1, "u-1", "SO-1", "k-1")),
            List.of("1", "k-1", "u-1", "SO-1", "1000", "86400000"),
            List.of(
                new Arg("buckets", BUCKETS),
                new Arg("idempotencyKey", KEY),
                new Arg("userId", ID),
                new Arg("orderId", ID),
                new Arg("orderAmountCents", count(MAX_AMOUNT)),
                new Arg("retentionMs", count(MAX_MS))),
            NO_CROSS,
            List.of(1L, OTHER));
      };

  private static final Supplier<Target> REVERSE =
      () -> {
        Coupon c = load(2);
        if (functions.get(new io.couponflow.model.RedemptionId(2, "SO-r", 1), 1).join()
            instanceof RedemptionLookup.NotFound) {
          functions.redeem(new RedeemRequest(2, "k-r", "u-r", "SO-r", 1000), c.buckets()).join();
        }
        String[] k = keys(2, "u-r", "SO-r", "k-r");
        return new Target(
            "cf_reverse",
            ScriptOutputType.MULTI,
            List.of(k[0], k[1], k[2], k[4], k[5]),
            List.of("1", "SO-r", "1", "u-r", "cancelled"),
            List.of(
                new Arg("buckets", BUCKETS),
                new Arg("orderId", ID),
                new Arg("generation", positive(MAX_GENERATION)),
                new Arg("userId", ID),
                new Arg("reason", text(256, true))),
            NO_CROSS,
            List.of(2L, OTHER));
      };

  /** The stock of a coupon cf_load creates, or the word that makes it create none. */
  private static final Rule STOCK_IF_ABSENT = updateOnlyOr(signed(MAX_MS));

  private static Rule updateOnlyOr(Rule rule) {
    List<String> edges = new ArrayList<>(rule.edges());
    edges.addAll(List.of("UPDATE_ONLY", "update_only", "UPDATE_ONLY ", "UPDATE"));
    return new Rule(s -> "UPDATE_ONLY".equals(s) || rule.valid().test(s), edges);
  }

  private static final List<Arg> LOAD_ARGS =
      List.of(
          new Arg("version", positive(MAX_MS)),
          new Arg("name", text(200, false)),
          new Arg("total", count(MAX_MS)),
          new Arg("limit", positive(MAX_GENERATION)),
          new Arg("threshold", count(MAX_MS)),
          new Arg("discount", positive(MAX_MS)),
          new Arg("starts", count(MAX_MS)),
          new Arg("ends", count(MAX_MS)),
          new Arg("status", oneOf("ACTIVE", "PAUSED")),
          new Arg("buckets", BUCKETS),
          new Arg("stockIfAbsent", STOCK_IF_ABSENT),
          new Arg("acceptedIfAbsent", signed(MAX_MS)),
          new Arg("reversedIfAbsent", signed(MAX_MS)));

  /**
   * The ends after the starts; and after UPDATE_ONLY in argument 11 nothing, else the other two
   * counts.
   */
  private static final Function<List<String>, Optional<String>> ENDS_AFTER_STARTS =
      a -> {
        if (new BigInteger(a.get(7)).compareTo(new BigInteger(a.get(6))) <= 0) {
          return Optional.of("(ends)");
        }
        if ("UPDATE_ONLY".equals(a.get(10))) {
          return a.size() > 11 ? Optional.of("(stockIfAbsent)") : Optional.empty();
        }
        if (!signed(MAX_MS).valid().test(at(a, 11))) {
          return Optional.of("(acceptedIfAbsent)");
        }
        if (!signed(MAX_MS).valid().test(at(a, 12))) {
          return Optional.of("(reversedIfAbsent)");
        }
        return Optional.empty();
      };

  private static final List<Arg> LOAD_SETTLED_ARGS =
      java.util.stream.Stream.concat(
              LOAD_ARGS.stream(),
              java.util.stream.Stream.of(
                  new Arg("settleMs", optional(count(MAX_MS))),
                  new Arg("readAgeMs", optional(count(MAX_MS)))))
          .toList();

  /** settleMs and readAgeMs come together, or not at all. */
  private static final Function<List<String>, Optional<String>> LOAD_SETTLED_CROSS =
      a ->
          ENDS_AFTER_STARTS
              .apply(a)
              .or(
                  () ->
                      "UPDATE_ONLY".equals(a.get(10)) || isEmpty(a, 13) == isEmpty(a, 14)
                          ? Optional.empty()
                          : Optional.of("(readAgeMs)"));

  private static boolean isEmpty(List<String> args, int i) {
    return i >= args.size() || args.get(i).isEmpty();
  }

  /**
   * cf_load of coupon {@code id}, held live or absent; settled: with settleMs and readAgeMs, as
   * {@link CouponFunctions#load(Coupon, long, long, Duration)} calls it.
   */
  private static Target load(long id, boolean absent, boolean settled) {
    if (absent) {
      RedisFixture.join(redis.commands().del(CouponKeys.meta(redis.prefix(), id)));
    } else {
      load(id);
    }
    Coupon c = coupon(id, 1_000_000);
    List<String> args = new ArrayList<>(List.of(CouponFunctions.loadArgs(c, 0, 0)));
    if (settled) {
      args.addAll(List.of(Long.toString(functions.repairSettle().toMillis()), "0"));
    }
    return new Target(
        "cf_load",
        ScriptOutputType.MULTI,
        List.of(CouponKeys.meta(redis.prefix(), id)),
        args,
        settled ? LOAD_SETTLED_ARGS : LOAD_ARGS,
        settled ? LOAD_SETTLED_CROSS : ENDS_AFTER_STARTS,
        List.of(id));
  }

  /**
   * cf_load of coupon {@code id} with UPDATE_ONLY, held live or absent, as {@link
   * CouponFunctions#update} calls it.
   */
  private static Target update(long id, boolean absent) {
    Target load = load(id, absent, false);
    return new Target(
        "cf_load",
        ScriptOutputType.MULTI,
        load.keys(),
        List.of(CouponFunctions.updateArgs(coupon(id, 1_000_000))),
        LOAD_ARGS.subList(0, 11),
        ENDS_AFTER_STARTS,
        List.of(id));
  }

  /** The same call of cf_load_plan, as {@link CouponFunctions#loadPlan} calls it. */
  private static Target plan(Target load) {
    return new Target(
        "cf_load_plan",
        load.output(),
        load.keys(),
        load.args(),
        load.specs(),
        load.crossCheck(),
        load.coupons());
  }

  private static final Supplier<Target> UPDATE_LIVE = () -> update(6, false);
  private static final Supplier<Target> UPDATE_ABSENT = () -> update(7, true);
  private static final Supplier<Target> LOAD_LIVE = () -> load(3, false, false);
  private static final Supplier<Target> LOAD_ABSENT = () -> load(4, true, false);
  private static final Supplier<Target> LOAD_LIVE_SETTLED = () -> load(3, false, true);
  private static final Supplier<Target> LOAD_ABSENT_SETTLED = () -> load(4, true, true);

  private static Target status(String function) {
    load(5);
    return new Target(
        function,
        ScriptOutputType.MULTI,
        List.of(CouponKeys.meta(redis.prefix(), 5)),
        List.of("7"),
        List.of(new Arg("version", optional(positive(MAX_MS)))),
        NO_CROSS,
        List.of(5L));
  }

  private static final Supplier<Target> PAUSE = () -> status("cf_pause");
  private static final Supplier<Target> RESUME = () -> status("cf_resume");

  private static final Supplier<Target> OUTBOX_ACK =
      () -> {
        Coupon c = load(9);
        List<OutboxEntry> pending =
            functions.outboxRead(9, java.time.Duration.ZERO, 3, null).join();
        List<String> ids = new ArrayList<>(pending.stream().map(OutboxEntry::id).toList());
        for (int i = ids.size(); i < 2; i++) {
          String n = "a" + System.nanoTime();
          RedeemOutcome o =
              functions
                  .redeem(new RedeemRequest(9, "k-" + n, "u-" + n, n, 1000), c.buckets())
                  .join();
          ids.add(((RedeemOutcome.Accepted) o).outboxId());
        }
        List<Arg> specs = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
          specs.add(new Arg("entryId", ENTRY_ID));
        }
        return new Target(
            "cf_outbox_ack",
            ScriptOutputType.INTEGER,
            List.of(CouponKeys.outbox(redis.prefix(), 9)),
            ids,
            specs,
            NO_CROSS,
            List.of(9L));
      };

  // ---------------------------------------------------------------------------------------------
  // The repair functions (see "Fencing" in couponflow.lua): called on a fenced coupon with the
  // node's current epoch, so that a well-formed call writes.

  /** The node's incarnation: what cf_repair_begin answers as the epoch. */
  private static String epoch() {
    String info = RedisFixture.join(redis.commands().info("replication"));
    Matcher m = Pattern.compile("master_replid:([0-9a-f]{40})").matcher(info);
    assertThat(m.find()).as("master_replid in " + info).isTrue();
    return m.group(1);
  }

  /** Coupon {@code id}, held and fenced. */
  private static void fenced(long id) {
    load(id);
    assertThat(functions.fence(id).join()).isTrue();
  }

  private static final Rule EPOCH =
      new Rule(
          s -> s != null && s.matches("[0-9a-f]{40}"),
          List.of(
              "0".repeat(40),
              "0".repeat(39),
              "0".repeat(41),
              "A".repeat(40),
              "g".repeat(40),
              "0".repeat(39) + "\u00e4",
              ""));

  private static boolean isCanonical(String s, long min, long max) {
    return s != null && s.matches("0|[1-9][0-9]*") && isWhole(s, max) && Long.parseLong(s) >= min;
  }

  private static final Pattern REF = Pattern.compile("[A-Za-z0-9_-]{1,64}\\.([0-9]+)");

  /** orderId.generation: a history field, or what an idempotency key names. */
  private static final Rule REF_RULE =
      new Rule(
          s -> {
            Matcher m = s == null ? null : REF.matcher(s);
            return m != null && m.matches() && isCanonical(m.group(1), 1, MAX_GENERATION);
          },
          List.of(
              "SO-f.1",
              "SO-f.2",
              "SO-f.3",
              "SO-f.0",
              "SO-f.01",
              "SO-f." + MAX_GENERATION,
              "SO-f." + (MAX_GENERATION + 1),
              "SO-f",
              ".1",
              "a|b.1",
              "a.b.1",
              "a".repeat(64) + ".1",
              "a".repeat(65) + ".1"));

  private static final Pattern RECORD =
      Pattern.compile(
          "([0-9]+)\\|([A-Za-z0-9_-]{1,64})\\|([0-9]+)\\|([0-9]+)\\|([0-9]+)\\|([AR])\\|([0-9]*)");

  /** A redemption record as cf_redeem and cf_reverse write them. */
  private static final Rule RECORD_RULE =
      new Rule(
          s -> {
            Matcher m = s == null ? null : RECORD.matcher(s);
            return m != null
                && m.matches()
                && isCanonical(m.group(1), 1, MAX_GENERATION)
                && isCanonical(m.group(3), 0, MAX_AMOUNT)
                && isCanonical(m.group(4), 0, MAX_AMOUNT)
                && isCanonical(m.group(5), 0, MAX_MS)
                && (m.group(6).equals("A")
                    ? m.group(7).isEmpty()
                    : isCanonical(m.group(7), 0, MAX_MS));
          },
          List.of(
              "1|u|0|0|0|A|",
              "1|u|0|0|0|R|0",
              "2|u|0|0|0|R|0",
              "3|u|0|0|0|A|",
              "1|u|0|0|0|A|5",
              "1|u|0|0|0|R|",
              "0|u|0|0|0|A|",
              "01|u|0|0|0|A|",
              "1||0|0|0|A|",
              "1|a.b|0|0|0|A|",
              "1|u|" + MAX_AMOUNT + "|0|0|A|",
              "1|u|" + (MAX_AMOUNT + 1) + "|0|0|A|",
              "1|u|0|0|" + MAX_MS + "|R|" + MAX_MS,
              "1|u|0|0|" + (MAX_MS + 1) + "|A|",
              "1|u|0|0|0|X|",
              "1|u|0|0|0|A",
              "1|u|0|0|0|A||"));

  private static final Rule USER_COUNT =
      new Rule(
          s -> isCanonical(s, 1, MAX_GENERATION),
          List.of(
              "1",
              "0",
              "01",
              Long.toString(MAX_GENERATION),
              Long.toString(MAX_GENERATION + 1),
              "99999999999999999999",
              "-1",
              "1.0"));

  /**
   * One kind of record hash a repair writes: its well-formed field, value and field to delete, and
   * what they may be.
   */
  private record RepairKind(
      String kind,
      String fieldName,
      Rule field,
      String valueName,
      Rule value,
      String goodField,
      String goodValue,
      String goodDelete) {}

  private static final List<RepairKind> REPAIR_KINDS =
      List.of(
          new RepairKind(
              "o",
              "orderId",
              ID,
              "record",
              RECORD_RULE,
              "SO-f",
              "1|u-f|2000|100|1700000000000|A|",
              "SO-g"),
          new RepairKind(
              "h",
              "historyField",
              REF_RULE,
              "record",
              RECORD_RULE,
              "SO-f.1",
              "1|u-f|2000|100|1700000000000|R|1700000001000",
              "SO-g.1"),
          new RepairKind("u", "userId", ID, "userCount", USER_COUNT, "u-f", "1", "u-g"),
          new RepairKind(
              "i", "idempotencyKey", KEY, "keyTarget", REF_RULE, "k-f", "SO-f.1", "k-g"));

  private static RepairKind repairKind(String kind) {
    return REPAIR_KINDS.stream().filter(k -> k.kind().equals(kind)).findFirst().orElseThrow();
  }

  /** cf_repair_write of one hash of a fenced coupon: one field set, one deleted. */
  private static Target repairWrite(RepairKind kind) {
    fenced(10);
    CouponKeys k = functions.keys(10, 1);
    String hash =
        switch (kind.kind()) {
          case "o" -> k.ordersBucket(0);
          case "u" -> k.usersBucket(0);
          case "i" -> k.idempotencyBucket(0);
          default -> k.history();
        };
    return new Target(
        "cf_repair_write",
        ScriptOutputType.MULTI,
        List.of(k.meta(), hash),
        List.of(epoch(), "86400000", "1", kind.goodField(), kind.goodValue(), kind.goodDelete()),
        List.of(
            new Arg("epoch", EPOCH),
            new Arg("retentionMs", count(MAX_MS)),
            new Arg("setCount", count(2000)),
            new Arg(kind.fieldName(), kind.field()),
            new Arg(kind.valueName(), kind.value()),
            new Arg(kind.fieldName(), kind.field())),
        NO_CROSS,
        List.of(10L),
        LibraryArgumentsFuzzIT::repairWriteBad);
  }

  /**
   * The contract of cf_repair_write: the coupon's meta and one of its record hashes, whose kind
   * says what the fields and values are; the epoch, the retention, setCount pairs, then fields to
   * delete.
   */
  private static Optional<String> repairWriteBad(List<String> keys, List<String> args) {
    Matcher meta = KEY_SHAPE.matcher(keys.isEmpty() ? "" : keys.get(0));
    Matcher hash = KEY_SHAPE.matcher(keys.size() < 2 ? "" : keys.get(1));
    if (keys.size() != 2
        || !meta.matches()
        || !meta.group(2).equals("m")
        || !hash.matches()
        || !meta.group(1).equals(hash.group(1))
        || "mx".contains(hash.group(2).substring(0, 1))) {
      return Optional.of("key");
    }
    RepairKind kind = repairKind(hash.group(2).substring(0, 1));
    if (!EPOCH.valid().test(at(args, 0))) {
      return Optional.of("(epoch)");
    }
    if (!isWhole(at(args, 1), MAX_MS)) {
      return Optional.of("(retentionMs)");
    }
    if (!isWhole(at(args, 2), 2000) || args.size() < 3 + 2 * Integer.parseInt(args.get(2))) {
      return Optional.of("(setCount)");
    }
    int sets = Integer.parseInt(args.get(2));
    for (int i = 3; i < 3 + 2 * sets; i += 2) {
      if (!kind.field().valid().test(args.get(i))) {
        return Optional.of("(" + kind.fieldName() + ")");
      }
      if (!kind.value().valid().test(args.get(i + 1))) {
        return Optional.of("(" + kind.valueName() + ")");
      }
      if (kind.kind().equals("h")) {
        Matcher field = REF.matcher(args.get(i));
        Matcher record = RECORD.matcher(args.get(i + 1));
        if (field.matches() && record.matches() && !field.group(1).equals(record.group(1))) {
          return Optional.of("(record)");
        }
      }
    }
    for (int i = 3 + 2 * sets; i < args.size(); i++) {
      if (!kind.field().valid().test(args.get(i))) {
        return Optional.of("(" + kind.fieldName() + ")");
      }
    }
    return Optional.empty();
  }

  private static String at(List<String> args, int i) {
    return i < args.size() ? args.get(i) : null;
  }

  private static final Supplier<Target> REPAIR_END =
      () -> {
        fenced(11);
        return new Target(
            "cf_repair_end",
            ScriptOutputType.MULTI,
            List.of(CouponKeys.meta(redis.prefix(), 11)),
            List.of(epoch(), "999999", "1", "0"),
            List.of(
                new Arg("epoch", EPOCH),
                new Arg("stock", count(MAX_MS)),
                new Arg("accepted", count(MAX_MS)),
                new Arg("reversed", count(MAX_MS))),
            NO_CROSS,
            List.of(11L));
      };

  private static final Supplier<Target> REPAIR_BEGIN =
      () -> {
        fenced(12);
        return new Target(
            "cf_repair_begin",
            ScriptOutputType.MULTI,
            List.of(CouponKeys.meta(redis.prefix(), 12)),
            List.of(Long.toString(functions.repairSettle().toMillis())),
            List.of(new Arg("settleMs", count(MAX_MS))),
            NO_CROSS,
            List.of(12L));
      };

  private static final Supplier<Target> FENCE =
      () -> {
        load(13);
        return new Target(
            "cf_fence",
            ScriptOutputType.MULTI,
            List.of(CouponKeys.meta(redis.prefix(), 13)),
            List.of(),
            List.of(),
            NO_CROSS,
            List.of(13L));
      };

  private static final Supplier<Target> READ =
      () -> {
        load(14);
        CouponKeys k = functions.keys(14, 1);
        return new Target(
            "cf_read",
            ScriptOutputType.MULTI,
            List.of(k.ordersBucket(0), k.usersBucket(0), k.idempotencyBucket(0), k.history()),
            List.of(),
            List.of(),
            NO_CROSS,
            List.of(14L),
            LibraryArgumentsFuzzIT::readBad);
      };

  private static final Supplier<Target> MEMBERS =
      () -> {
        Target read = READ.get();
        return new Target(
            "cf_members",
            read.output(),
            read.keys(),
            read.args(),
            read.specs(),
            read.crossCheck(),
            read.coupons(),
            read.oracle());
      };

  private static final Supplier<Target> OUTBOX_BACKLOG =
      () -> {
        Coupon c = load(15);
        functions
            .redeem(
                new RedeemRequest(15, "k-" + System.nanoTime(), "u-b", "SO-b", 1000), c.buckets())
            .join();
        return new Target(
            "cf_outbox_backlog",
            ScriptOutputType.MULTI,
            List.of(CouponKeys.outbox(redis.prefix(), 15)),
            List.of(),
            List.of(),
            NO_CROSS,
            List.of(15L));
      };

  /** The contract of cf_read's keys: one or more of one coupon's o, u, i and h keys. */
  private static Optional<String> readBad(List<String> keys, List<String> args) {
    if (keys.isEmpty()) {
      return Optional.of("key");
    }
    String base = null;
    for (String key : keys) {
      Matcher m = KEY_SHAPE.matcher(key);
      if (!m.matches()
          || "mx".contains(m.group(2).substring(0, 1))
          || base != null && !base.equals(m.group(1))) {
        return Optional.of("key");
      }
      base = m.group(1);
    }
    return Optional.empty();
  }
}
