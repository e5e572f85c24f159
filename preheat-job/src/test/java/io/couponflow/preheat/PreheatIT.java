package io.couponflow.preheat;

import static io.couponflow.preheat.JobRunner.coupon;
import static io.couponflow.preheat.JobRunner.insert;
import static io.couponflow.preheat.JobRunner.insertAccepted;
import static io.couponflow.preheat.JobRunner.liveCoupon;
import static io.couponflow.preheat.JobRunner.restock;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.CouponKeys;
import io.couponflow.lua.HotSet;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.Rejection;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The preheat job against the shared Redis and MariaDB, each test with a database and prefix. */
class PreheatIT {
  @TempDir Path dir;

  private TestDatabase db;
  private RedisFixture redis;
  private CouponFunctions functions;
  private Path snapshot;
  private JobRunner job;

  @BeforeEach
  void setUp() {
    db = TestDatabase.create(PreheatIT.class);
    redis = RedisFixture.create(PreheatIT.class);
    functions = redis.functions();
    snapshot = dir.resolve("snapshot.json.gz");
    job = new JobRunner(db.settings(), TestSettings.redisUri(), redis.prefix(), snapshot);
  }

  @AfterEach
  void tearDown() {
    redis.close();
    db.close();
  }

  private LiveCoupon live(long id) {
    return functions.coupon(id).join().orElseThrow(() -> new AssertionError(id + " not live"));
  }

  private boolean isLive(long id) {
    return functions.coupon(id).join().isPresent();
  }

  private List<String> hotSet() {
    return RedisFixture.join(new HotSet(redis.redis()).members()).stream()
        .map(String::valueOf)
        .sorted()
        .toList();
  }

  private Map<String, String> meta(long id) {
    return RedisFixture.join(redis.commands().hgetall(CouponKeys.meta(redis.prefix(), id)));
  }

  private RedeemOutcome redeem(Coupon c, String user, String order) {
    return functions
        .redeem(new RedeemRequest(c.couponId(), "k-" + order, user, order, 1000), c.buckets())
        .join();
  }

  @Test
  void firstRun_loadsWindowAndHotCoupons_withStockFromMySql() throws Exception {
    Instant now = Instant.now();
    Instant inAnHour = now.plusSeconds(3600);
    Coupon one =
        coupon(
            1, 100, now.minusMillis(60_123), now.plusMillis(3_600_456), CouponStatus.ACTIVE, false);
    insert(
        db,
        one,
        coupon(2, 40, now.plusSeconds(600), inAnHour.plusSeconds(600), CouponStatus.ACTIVE, false),
        coupon(3, 40, now.plusSeconds(7200), now.plusSeconds(9000), CouponStatus.ACTIVE, false),
        coupon(4, 40, now.minusSeconds(7200), now.minusSeconds(60), CouponStatus.ACTIVE, false),
        coupon(
            5,
            40,
            now.plus(Duration.ofDays(2)),
            now.plus(Duration.ofDays(3)),
            CouponStatus.ACTIVE,
            true),
        coupon(6, 40, now.plusSeconds(300), inAnHour, CouponStatus.PAUSED, false),
        coupon(7, 40, now.minusSeconds(7200), now.minusSeconds(60), CouponStatus.ACTIVE, true));
    insertAccepted(db, 1, 7);
    Path metrics = dir.resolve("preheat.prom");

    JobRunner.Outcome outcome = job.run("--metrics-file", metrics.toString());

    assertThat(outcome.exitCode()).as(outcome.err()).isZero();
    assertThat(outcome.summary())
        .startsWith(
            "preheat: loaded=3 already_live=0 updated=0 restocked=0 failed=0 source=mysql duration=")
        .endsWith(" result=ok");
    LiveCoupon first = live(1);
    assertThat(first.definition().startsAt())
        .isEqualTo(one.startsAt().truncatedTo(ChronoUnit.MILLIS));
    assertThat(first.definition().endsAt()).isEqualTo(one.endsAt().truncatedTo(ChronoUnit.MILLIS));
    assertThat(first.stock()).isEqualTo(93);
    assertThat(first.accepted()).isEqualTo(7);
    assertThat(first.definition().totalStock()).isEqualTo(100);
    assertThat(redeem(one, "u-new", "SO-3"))
        .as("the redemptions MySQL holds came back with the coupon")
        .isEqualTo(new RedeemOutcome.Rejected(Rejection.ORDER_ALREADY_REDEEMED));
    assertThat(
            functions
                .redeem(new RedeemRequest(1, "key-3", "u-3", "SO-3", 1000), one.buckets())
                .join())
        .isInstanceOf(RedeemOutcome.Replayed.class);
    assertThat(live(2).stock()).isEqualTo(40);
    assertThat(live(5).stock()).isEqualTo(40);
    assertThat(List.of(3L, 4L, 6L, 7L)).noneMatch(this::isLive);
    assertThat(hotSet()).containsExactly("1", "2", "5");
    assertThat(snapshot).exists();
    String prom = Files.readString(metrics);
    assertThat(prom)
        .contains("couponflow_preheat_coupons{outcome=\"loaded\"} 3")
        .contains("couponflow_preheat_coupons{outcome=\"failed\"} 0")
        .contains("couponflow_preheat_exit_code 0")
        .contains("couponflow_preheat_snapshot_used 0")
        .contains("couponflow_preheat_duration_seconds ");
  }

  @Test
  void secondRun_changesNothing() {
    insert(db, liveCoupon(1, 100), liveCoupon(2, 10));
    insertAccepted(db, 2, 4);
    assertThat(job.run().exitCode()).isZero();
    Map<String, String> first = meta(1);
    Map<String, String> second = meta(2);

    JobRunner.Outcome again = job.run();

    assertThat(again.exitCode()).isZero();
    assertThat(again.summary())
        .startsWith("preheat: loaded=0 already_live=2 updated=0 restocked=0 failed=0 source=mysql");
    assertThat(meta(1)).isEqualTo(first);
    assertThat(meta(2)).isEqualTo(second).containsEntry("stock", "6");
  }

  @Test
  void restock_isAppliedOnce_andKeepsWhatWasRedeemed() {
    Coupon c = liveCoupon(1, 100);
    insert(db, c);
    assertThat(job.run().exitCode()).isZero();
    for (int i = 0; i < 3; i++) {
      assertThat(redeem(c, "u-" + i, "SO-" + i)).isInstanceOf(RedeemOutcome.Accepted.class);
    }
    restock(db, 1, 50);

    JobRunner.Outcome restocked = job.run();
    JobRunner.Outcome again = job.run();

    assertThat(restocked.summary())
        .startsWith("preheat: loaded=0 already_live=0 updated=1 restocked=1 failed=0");
    assertThat(again.summary())
        .startsWith("preheat: loaded=0 already_live=1 updated=0 restocked=0 failed=0");
    LiveCoupon after = live(1);
    assertThat(after.definition().totalStock()).isEqualTo(150);
    assertThat(after.stock()).isEqualTo(147);
    assertThat(after.accepted()).isEqualTo(3);
    assertThat(after.definition().version()).isEqualTo(2);
  }

  @Test
  void runsDuringRedemptions_moveNoStockExceptByTheRestock() throws Exception {
    Coupon c = liveCoupon(1, 3000);
    insert(db, c);
    assertThat(job.run().exitCode()).isZero();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(3);
    List<Future<Integer>> workers = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      int worker = w;
      workers.add(
          pool.submit(
              () -> {
                int accepted = 0;
                for (int i = 0; !stop.get(); i++) {
                  if (redeem(c, "u-" + worker + "-" + i, "SO-" + worker + "-" + i)
                      instanceof RedeemOutcome.Accepted) {
                    accepted++;
                  }
                }
                return accepted;
              }));
    }
    List<String> summaries = new ArrayList<>();
    try {
      Thread.sleep(200);
      summaries.add(job.run().summary());
      restock(db, 1, 200);
      summaries.add(job.run().summary());
      summaries.add(job.run().summary());
    } finally {
      stop.set(true);
      pool.shutdown();
    }
    int accepted = 0;
    for (Future<Integer> f : workers) {
      accepted += f.get(10, TimeUnit.SECONDS);
    }
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();

    assertThat(summaries.get(0)).startsWith("preheat: loaded=0 already_live=1 updated=0");
    assertThat(summaries.get(1))
        .startsWith("preheat: loaded=0 already_live=0 updated=1 restocked=1");
    assertThat(summaries.get(2)).startsWith("preheat: loaded=0 already_live=1 updated=0");
    LiveCoupon after = live(1);
    assertThat(accepted).isPositive();
    assertThat(after.accepted()).isEqualTo(accepted);
    assertThat(after.definition().totalStock()).isEqualTo(3200);
    assertThat(after.stock()).isEqualTo(3200 - accepted);
  }

  @Test
  void dryRun_showsWhatWouldHappen_andChangesNothing() {
    Coupon loaded = liveCoupon(2, 20);
    insert(db, liveCoupon(1, 100), loaded);
    assertThat(job.run("--coupon", "2").exitCode()).isZero();
    restock(db, 2, 5);
    Map<String, String> before = meta(2);

    JobRunner.Outcome dry = job.run("--dry-run");

    assertThat(dry.exitCode()).isZero();
    assertThat(dry.out())
        .contains("would load coupon 1 (coupon 1): create with stock 100")
        .contains("would load coupon 2 (coupon 2): update to version 2 with a restock of +5");
    assertThat(dry.summary())
        .startsWith(
            "preheat (dry run): loaded=1 already_live=0 updated=1 restocked=1 failed=0"
                + " source=mysql");
    assertThat(isLive(1)).isFalse();
    assertThat(meta(2)).isEqualTo(before);
    assertThat(hotSet()).containsExactly("2");
    assertThat(snapshot).doesNotExist();
  }

  @Test
  void namedCoupons_loadWhateverTheirWindow_andMissingOnesFail() {
    Instant now = Instant.now();
    insert(
        db,
        coupon(3, 40, now.plusSeconds(7200), now.plusSeconds(9000), CouponStatus.ACTIVE, false),
        liveCoupon(4, 10));

    JobRunner.Outcome outcome = job.run("--coupon", "3", "--coupon", "99", "--coupon", "3");

    assertThat(outcome.exitCode()).isEqualTo(2);
    assertThat(outcome.summary())
        .startsWith("preheat: loaded=1 already_live=0 updated=0 restocked=0 failed=1 source=mysql")
        .contains("result=partial");
    assertThat(outcome.err()).isEmpty();
    assertThat(isLive(3)).isTrue();
    assertThat(isLive(4)).isFalse();
    assertThat(hotSet()).containsExactly("3");
  }

  @Test
  void allActive_loadsEveryActiveCouponNotEnded() {
    Instant now = Instant.now();
    insert(
        db,
        liveCoupon(1, 10),
        coupon(
            2,
            10,
            now.plus(Duration.ofDays(5)),
            now.plus(Duration.ofDays(6)),
            CouponStatus.ACTIVE,
            false),
        coupon(3, 10, now.plusSeconds(60), now.plusSeconds(600), CouponStatus.PAUSED, true),
        coupon(4, 10, now.minusSeconds(600), now.minusSeconds(1), CouponStatus.ACTIVE, false));

    JobRunner.Outcome outcome = job.run("--all-active");

    assertThat(outcome.exitCode()).isZero();
    assertThat(outcome.summary()).startsWith("preheat: loaded=2 already_live=0");
    assertThat(isLive(1)).isTrue();
    assertThat(isLive(2)).isTrue();
    assertThat(isLive(3)).isFalse();
    assertThat(isLive(4)).isFalse();
  }

  @Test
  void definitionBelowWhatWasRedeemed_isRefused_andTheRunIsPartial() {
    Coupon c = liveCoupon(1, 10);
    insert(db, c, liveCoupon(2, 10));
    assertThat(job.run().exitCode()).isZero();
    for (int i = 0; i < 5; i++) {
      redeem(c, "u-" + i, "SO-" + i);
    }
    db.execute("UPDATE coupon SET total_stock = 2, version = version + 1 WHERE coupon_id = 1");

    JobRunner.Outcome outcome = job.run();

    assertThat(outcome.exitCode()).isEqualTo(2);
    assertThat(outcome.summary())
        .startsWith("preheat: loaded=0 already_live=1 updated=0 restocked=0 failed=1")
        .contains("result=partial");
    assertThat(live(1).stock()).isEqualTo(5);
    assertThat(live(1).definition().totalStock()).isEqualTo(10);
  }

  @Test
  void rowsNoReaderCanTake_areSkippedOneLineEach_theRestLoads_andTheRunIsPartial() {
    insert(db, liveCoupon(1, 10), liveCoupon(2, 10), liveCoupon(3, 10), liveCoupon(4, 10));
    // As a database written before V2 may hold them: a restock past 2^53 - 1, a blank name.
    db.execute("ALTER TABLE coupon DROP CONSTRAINT ck_coupon_stock_max");
    db.execute("UPDATE coupon SET total_stock = 9007199254740992 WHERE coupon_id = 2");
    db.execute("UPDATE coupon SET name = ' ' WHERE coupon_id = 4");
    Logger logger = (Logger) LoggerFactory.getLogger(Preheat.class);
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    logger.addAppender(log);
    JobRunner.Outcome window;
    JobRunner.Outcome named;
    try {
      window = job.run();
      named = job.run("--coupon", "2", "--coupon", "3");
    } finally {
      logger.detachAppender(log);
    }

    assertThat(window.exitCode()).as(window.toString()).isEqualTo(2);
    assertThat(window.summary())
        .startsWith("preheat: loaded=2 already_live=0 updated=0 restocked=0 failed=2 source=mysql")
        .contains("result=partial");
    assertThat(named.exitCode()).as(named.toString()).isEqualTo(2);
    assertThat(named.summary())
        .startsWith("preheat: loaded=0 already_live=1 updated=0 restocked=0 failed=1 source=mysql");
    assertThat(live(1).stock()).isEqualTo(10);
    assertThat(live(3).stock()).isEqualTo(10);
    assertThat(isLive(2)).isFalse();
    assertThat(isLive(4)).isFalse();
    assertThat(log.list)
        .filteredOn(e -> e.getFormattedMessage().contains("skipped"))
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly(
            "Coupon 2 skipped: its definition in mysql is invalid: totalStock: 9007199254740992"
                + " (expected: 0..9007199254740991)",
            "Coupon 4 skipped: its definition in mysql is invalid: name: must be 1..200 characters"
                + " and not blank",
            "Coupon 2 skipped: its definition in mysql is invalid: totalStock: 9007199254740992"
                + " (expected: 0..9007199254740991)");
    assertThat(log.list).allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
    assertThat(window.err() + named.err()).isEmpty();
  }

  @Test
  void endedCoupons_leaveTheHotSet() throws Exception {
    Instant now = Instant.now();
    insert(
        db,
        liveCoupon(1, 10),
        coupon(2, 10, now.minusSeconds(60), now.plusMillis(1500), CouponStatus.ACTIVE, false));
    assertThat(job.run().exitCode()).isZero();
    assertThat(hotSet()).containsExactly("1", "2");
    Thread.sleep(Math.max(0, Duration.between(Instant.now(), now.plusMillis(1600)).toMillis()));

    assertThat(job.run().exitCode()).isZero();

    assertThat(hotSet()).containsExactly("1");
  }
}
