package io.couponflow.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.model.RedemptionStatus;
import io.couponflow.testkit.TestDatabase;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.ibatis.exceptions.PersistenceException;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class MappersIT {
  private static TestDatabase db;

  @BeforeAll
  static void migrate() {
    db = TestDatabase.create(MappersIT.class);
  }

  @AfterAll
  static void drop() {
    db.close();
  }

  private static Coupon coupon(long id) {
    return new Coupon(
        id,
        "300 off 50",
        10_000,
        2,
        5_000,
        30_000,
        Instant.parse("2026-11-11T00:00:00.123Z"),
        Instant.parse("2026-11-12T00:00:00Z"),
        CouponStatus.ACTIVE,
        false,
        Coupon.bucketsFor(10_000),
        1);
  }

  private static RedemptionRow row(long coupon, String key, String order) {
    return new RedemptionRow(
        coupon + "." + order + ".1",
        coupon,
        key,
        "u-1",
        order,
        35_000,
        30_000,
        RedemptionStatus.ACCEPTED,
        Instant.parse("2026-11-11T08:00:00.456Z"),
        null,
        null,
        "1731312000456-0");
  }

  @Test
  void coupon_roundTripsEveryFieldInUtc() {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      CouponMapper coupons = s.getMapper(CouponMapper.class);
      coupons.insert(coupon(1));

      assertThat(coupons.findById(1)).contains(coupon(1));
      assertThat(
              db.queryLong(
                  "SELECT UNIX_TIMESTAMP(starts_at) * 1000 FROM coupon WHERE coupon_id = 1"))
          .isEqualTo(Instant.parse("2026-11-11T00:00:00.123Z").toEpochMilli());
    }
  }

  @Test
  void coupon_statusChangesBumpTheVersionOnlyFromTheExpectedOne_stockChangesAlways() {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      CouponMapper coupons = s.getMapper(CouponMapper.class);
      coupons.insert(coupon(2));

      assertThat(coupons.updateStatus(2, CouponStatus.PAUSED, 1)).isEqualTo(1);
      assertThat(coupons.updateStatus(2, CouponStatus.ACTIVE, 1)).isZero();
      assertThat(coupons.addStock(2, 500)).isEqualTo(1);

      Coupon now = coupons.findById(2).orElseThrow();
      assertThat(now.status()).isEqualTo(CouponStatus.PAUSED);
      assertThat(now.totalStock()).isEqualTo(10_500);
      assertThat(now.version()).isEqualTo(3);
    }
  }

  @Test
  void addStock_wouldPassTheLargestStockReadersHold_changesNothing() {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      CouponMapper coupons = s.getMapper(CouponMapper.class);
      Coupon near = coupon(20);
      coupons.insert(
          new Coupon(
              20,
              near.name(),
              Coupon.MAX_NUMBER - 10,
              near.perUserLimit(),
              near.thresholdCents(),
              near.discountCents(),
              near.startsAt(),
              near.endsAt(),
              near.status(),
              near.hot(),
              near.buckets(),
              1));
      String before = db.queryRow("SELECT * FROM coupon WHERE coupon_id = 20");

      assertThat(coupons.addStock(20, 11)).isZero();
      assertThat(db.queryRow("SELECT * FROM coupon WHERE coupon_id = 20")).isEqualTo(before);
      assertThat(coupons.addStock(20, 10)).isEqualTo(1);
      assertThat(coupons.findById(20).orElseThrow().totalStock()).isEqualTo(Coupon.MAX_NUMBER);
      assertThat(coupons.findById(20).orElseThrow().version()).isEqualTo(2);
      assertThat(coupons.addStock(20, 1)).isZero();
      assertThat(coupons.addStock(404, 1)).isZero();
    }
  }

  @Test
  void schema_refusesEveryNumberTheModelRefuses_andTakesItsLargest() {
    String insert =
        "INSERT INTO coupon (coupon_id, name, total_stock, per_user_limit, threshold_cents,"
            + " discount_cents, starts_at, ends_at, status, buckets, version) VALUES (%d, 'c',"
            + " %d, %d, %d, %d, '%s', '2030-01-01', 'ACTIVE', %d, %d)";
    long max = Coupon.MAX_NUMBER;
    int limit = Coupon.MAX_PER_USER_LIMIT;
    int buckets = Coupon.MAX_BUCKETS;

    db.execute(insert.formatted(21, max, limit, max, max, "1970-01-01 00:00:00", buckets, 1));
    assertThat(db.queryLong("SELECT total_stock FROM coupon WHERE coupon_id = 21")).isEqualTo(max);
    for (String refused :
        List.of(
            insert.formatted(22, max + 1, 1, 0, 1, "2020-01-01", 1, 1),
            insert.formatted(23, 1, limit + 1, 0, 1, "2020-01-01", 1, 1),
            insert.formatted(24, 1, 1, max + 1, 1, "2020-01-01", 1, 1),
            insert.formatted(25, 1, 1, 0, max + 1, "2020-01-01", 1, 1),
            insert.formatted(26, 1, 1, 0, 1, "1969-12-31 23:59:59", 1, 1),
            insert.formatted(27, 1, 1, 0, 1, "2020-01-01", 3, 1),
            insert.formatted(28, 1, 1, 0, 1, "2020-01-01", buckets * 2, 1),
            insert.formatted(29, 1, 1, 0, 1, "2020-01-01", 1, 0))) {
      assertThatThrownBy(() -> db.execute(refused)).as(refused).hasMessageContaining("ck_coupon_");
    }
  }

  @Test
  void findRowById_rowTheModelRefuses_readsAndSaysWhatIsWrong() {
    db.execute(
        "INSERT INTO coupon (coupon_id, name, total_stock, per_user_limit, threshold_cents,"
            + " discount_cents, starts_at, ends_at, status, buckets, version) VALUES (30, ' ',"
            + " 5, 1, 0, 1, '2020-01-01', '2030-01-01', 'ACTIVE', 1, 1)");

    CouponRow row = couponRow(30);

    assertThat(row.name()).isEqualTo(" ");
    assertThatThrownBy(row::toCoupon)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("name: must be 1..200 characters and not blank");
    try (SqlSession s = db.database().sessions().openSession(true)) {
      CouponMapper coupons = s.getMapper(CouponMapper.class);
      coupons.insert(coupon(31));
      assertThat(coupons.findRowsByIds(List.of(31L, 30L, 404L)))
          .extracting(CouponRow::couponId)
          .containsExactly(30L, 31L);
      assertThat(coupons.findRowById(31).orElseThrow().toCoupon()).isEqualTo(coupon(31));
    }
  }

  private static CouponRow couponRow(long id) {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      return s.getMapper(CouponMapper.class).findRowById(id).orElseThrow();
    }
  }

  @Test
  void upsertAll_isIdempotentAndCountsByStatus() {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      RedemptionMapper redemptions = s.getMapper(RedemptionMapper.class);
      List<RedemptionRow> rows = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        rows.add(row(3, "k-" + i, "SO-" + i));
      }
      redemptions.upsertAll(rows);
      redemptions.upsertAll(rows.subList(0, 5));
      assertThat(
              redemptions.markReversed("3.SO-4.1", Instant.parse("2026-11-11T09:00:00Z"), "cancel"))
          .isEqualTo(1);
      assertThat(
              redemptions.markReversed("3.SO-4.1", Instant.parse("2026-11-11T10:00:00Z"), "again"))
          .isEqualTo(1);
      assertThat(redemptions.markReversed("3.SO-404.1", Instant.now(), null)).isZero();

      assertThat(redemptions.countsFor(3)).isEqualTo(new RedemptionCounts(3, 9, 1));
      assertThat(redemptions.countsForCoupons(Set.of(3L, 999L)))
          .containsExactly(new RedemptionCounts(3, 9, 1));
      RedemptionRow reversed = redemptions.findByRedemptionId("3.SO-4.1").orElseThrow();
      assertThat(reversed.status()).isEqualTo(RedemptionStatus.REVERSED);
      assertThat(reversed.reversedAt()).isEqualTo(Instant.parse("2026-11-11T09:00:00Z"));
      assertThat(reversed.reversalReason()).isEqualTo("cancel");
      assertThat(redemptions.findByRedemptionId("3.SO-0.1")).contains(rows.get(0));
    }
  }

  @Test
  void upsert_sameKeyUnderAnotherRedemptionId_isRefusedNotMerged() {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      RedemptionMapper redemptions = s.getMapper(RedemptionMapper.class);
      redemptions.upsert(row(4, "k-1", "SO-1"));

      assertThatThrownBy(() -> redemptions.upsert(row(4, "k-1", "SO-2")))
          .isInstanceOf(PersistenceException.class);
      assertThat(redemptions.countsFor(4).accepted()).isEqualTo(1);
    }
  }

  @Test
  void pageOfCoupon_walksOneCouponsRowsOnly() {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      RedemptionMapper redemptions = s.getMapper(RedemptionMapper.class);
      for (int i = 0; i < 7; i++) {
        redemptions.upsert(row(5, "k-" + i, "SO-" + i));
        redemptions.upsert(row(50, "k-" + i, "SO-" + i));
      }
      List<String> seen = new ArrayList<>();
      String after = null;
      List<RedemptionRow> page;
      while (!(page = redemptions.pageOfCoupon(5, after, 3)).isEmpty()) {
        page.forEach(r -> seen.add(r.redemptionId()));
        after = page.get(page.size() - 1).redemptionId();
      }
      assertThat(seen).hasSize(7).allMatch(id -> id.startsWith("5."));
    }
  }

  @Test
  void deadLetter_storingTheSameEntryTwiceKeepsOneRow() {
    try (SqlSession s = db.database().sessions().openSession(true)) {
      DeadLetterMapper deadLetters = s.getMapper(DeadLetterMapper.class);
      deadLetters.insert(6, "1-0", "{}", "first");
      deadLetters.insert(6, "1-0", "{}", "second");

      assertThat(deadLetters.count(6L)).isEqualTo(1);
      assertThat(deadLetters.recent(6L, 10))
          .singleElement()
          .satisfies(d -> assertThat(d.error()).isEqualTo("second"));
    }
  }

  @Test
  void requireCurrent_passesOnAMigratedDatabase() {
    Migrations.requireCurrent(db.database().dataSource());
    assertThat(Migrations.currentVersion(db.database().dataSource())).isEqualTo("2");
  }
}
