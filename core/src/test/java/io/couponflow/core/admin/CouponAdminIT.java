package io.couponflow.core.admin;

import static io.couponflow.lua.TestCoupons.coupon;
import static io.couponflow.testkit.RedisFixture.join;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.testkit.PrivateRedis;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.TestDatabase;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The coupon administration use cases against the shared Redis and MariaDB. */
class CouponAdminIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static TestDatabase db;
  private static RedisFixture redis;
  private static CouponFunctions functions;
  private static CouponAdmin admin;

  @BeforeAll
  static void setUp() {
    db = TestDatabase.create(CouponAdminIT.class);
    redis = RedisFixture.create(CouponAdminIT.class);
    functions = redis.functions();
    admin = new CouponAdmin(functions, db.database().sessions(), WAIT);
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    db.close();
  }

  private static LiveCoupon live(long couponId) {
    return join(functions.coupon(couponId)).orElseThrow();
  }

  private static Coupon inMySql(long couponId) {
    return CouponAdmin.find(db.database().sessions(), couponId).orElseThrow();
  }

  @Test
  void create_newCoupon_isDefinedInMySqlAndLiveInRedis() {
    Coupon c = coupon(1).stock(10).build();

    CreateOutcome outcome = admin.create("alice", c);

    assertThat(outcome).isEqualTo(new CreateOutcome.Created(c, new LoadOutcome.Created(10, true)));
    assertThat(inMySql(1)).isEqualTo(c);
    assertThat(live(1).stock()).isEqualTo(10);
    assertThat(admin.create("alice", coupon(1).stock(99).build()))
        .isEqualTo(new CreateOutcome.AlreadyExists());
    assertThat(inMySql(1).totalStock()).isEqualTo(10);
  }

  @Test
  void pauseThenResume_bumpTheVersionInMySqlThenSetRedis_andKnowBeforeAndAfter() {
    Coupon c = coupon(2).build();
    admin.create("alice", c);

    StatusOutcome paused = admin.setStatus("alice", 2, CouponStatus.PAUSED);
    StatusOutcome again = admin.setStatus("alice", 2, CouponStatus.PAUSED);
    StatusOutcome resumed = admin.setStatus("bob", 2, CouponStatus.ACTIVE);

    Coupon pausedCoupon = c.withStatus(CouponStatus.PAUSED, 2);
    assertThat(paused)
        .isEqualTo(new StatusOutcome.Done(c, pausedCoupon, Optional.of(CouponStatus.PAUSED)));
    assertThat(((StatusOutcome.Done) paused).changed()).isTrue();
    assertThat(again)
        .isEqualTo(
            new StatusOutcome.Done(pausedCoupon, pausedCoupon, Optional.of(CouponStatus.PAUSED)));
    assertThat(((StatusOutcome.Done) again).changed()).isFalse();
    assertThat(((StatusOutcome.Done) resumed).after())
        .isEqualTo(c.withStatus(CouponStatus.ACTIVE, 3));
    assertThat(live(2).definition().status()).isEqualTo(CouponStatus.ACTIVE);
    assertThat(live(2).definition().version()).isEqualTo(3);
    assertThat(admin.setStatus("bob", 999, CouponStatus.PAUSED))
        .isEqualTo(new StatusOutcome.NotFound());
  }

  @Test
  void setStatus_rowThatIsNoValidCoupon_namesTheCouponAndTheField() {
    admin.create("alice", coupon(3).build());
    db.execute("UPDATE coupon SET name = '' WHERE coupon_id = 3");

    assertThatThrownBy(() -> admin.setStatus("alice", 3, CouponStatus.PAUSED))
        .isInstanceOf(InvalidCouponException.class)
        .hasMessage(
            "coupon 3: its definition in MySQL is invalid: name: must be 1..200 characters and not"
                + " blank");
  }

  @Test
  void restock_liveCoupon_addsTheDeltaInRedis_andKnowsBeforeAndAfter() {
    Coupon c = coupon(4).stock(10).build();
    admin.create("alice", c);

    RestockOutcome outcome = admin.restock("alice", 4, 5);

    RestockOutcome.Restocked done = (RestockOutcome.Restocked) outcome;
    assertThat(done.before()).isEqualTo(c);
    assertThat(done.after().totalStock()).isEqualTo(15);
    assertThat(done.after().version()).isEqualTo(2);
    assertThat(done.redis()).contains(new LoadOutcome.Updated(15, 5));
    assertThat(done.notTold()).isEmpty();
    assertThat(live(4).stock()).isEqualTo(15);
    assertThat(admin.restock("alice", 999, 1)).isEqualTo(new RestockOutcome.NotFound());
    assertThatThrownBy(() -> admin.restock("alice", 4, CouponAdmin.MAX_RESTOCK + 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void restock_pastTheLargestStockRedisHolds_changesNothing() {
    admin.create("alice", coupon(5).stock(Coupon.MAX_NUMBER - 1).build());

    assertThat(admin.restock("alice", 5, 2))
        .isEqualTo(new RestockOutcome.WouldPassMax(Coupon.MAX_NUMBER - 1));
    assertThat(inMySql(5).version()).isEqualTo(1);
    assertThat(live(5).definition().totalStock()).isEqualTo(Coupon.MAX_NUMBER - 1);
  }

  @Test
  void restock_couponRedisDoesNotHold_changesMySqlOnly() {
    admin.create("alice", coupon(6).stock(10).build());
    for (String key : redis.keys()) {
      if (key.contains("{6}")) {
        join(redis.commands().del(key));
      }
    }

    RestockOutcome.Restocked done = (RestockOutcome.Restocked) admin.restock("alice", 6, 3);

    assertThat(done.redis()).isEmpty();
    assertThat(inMySql(6).totalStock()).isEqualTo(13);
    assertThat(join(functions.coupon(6))).isEmpty();
  }

  @Test
  void restock_redisRefusingWritesAfterMySqlTookIt_isNotInRedisYet() {
    try (PrivateRedis server = PrivateRedis.launch();
        RedisFixture own = RedisFixture.create(server.uri(), CouponAdminIT.class)) {
      CouponAdmin onOwn = new CouponAdmin(own.functions(), db.database().sessions(), WAIT);
      onOwn.create("alice", coupon(7).stock(10).build());
      join(own.commands().configSet("maxmemory", "1"));

      RestockOutcome outcome = onOwn.restock("alice", 7, 5);

      RestockOutcome.NotInRedisYet failed = (RestockOutcome.NotInRedisYet) outcome;
      assertThat(failed.after().totalStock()).isEqualTo(15);
      assertThat(failed.failure()).hasMessageContaining("OOM");
      assertThat(join(own.functions().coupon(7)).orElseThrow().definition().totalStock())
          .isEqualTo(10);
    }
  }
}
