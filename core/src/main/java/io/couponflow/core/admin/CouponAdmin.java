package io.couponflow.core.admin;

import io.couponflow.core.Await;
import io.couponflow.core.live.CouponRepair;
import io.couponflow.lua.CouponFunctions;
import io.couponflow.lua.LoadOutcome;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.CouponRow;
import java.time.Duration;
import java.util.Optional;
import org.apache.ibatis.session.SqlSession;
import org.apache.ibatis.session.SqlSessionFactory;

/**
 * Coupon administration: create, pause, resume and restock, the use cases behind {@code coupons
 * coupon ...}. MySQL changes first (the definition, with a new version), then Redis applies the
 * change ({@code cf_load}, {@code cf_pause}, {@code cf_resume}), then every gateway is told (a
 * coupon event).
 *
 * <p>Each change is one MySQL transaction that knows the coupon before and after it and the
 * operator who made it: the operator audit (who, when, what, before, after) is to be written in
 * that transaction.
 *
 * <p>Blocking: waits for MySQL, and for each Redis call at most the wait given. Thread-safety: safe
 * for use by many threads.
 */
public final class CouponAdmin {
  /** The most stock one restock adds. */
  public static final long MAX_RESTOCK = 1_000_000_000L;

  private static final int MAX_TRIES = 5;

  private final CouponFunctions functions;
  private final SqlSessionFactory sessions;
  private final CouponRepair repair;
  private final Duration redisWait;

  /**
   * @param redisWait how long to wait for one Redis answer
   */
  public CouponAdmin(CouponFunctions functions, SqlSessionFactory sessions, Duration redisWait) {
    this.functions = functions;
    this.sessions = sessions;
    this.repair = new CouponRepair(functions, sessions);
    this.redisWait = redisWait;
  }

  /**
   * The coupon as MySQL defines it; empty when MySQL does not know it.
   *
   * @throws InvalidCouponException when its row is no valid coupon
   */
  public static Optional<Coupon> find(SqlSessionFactory sessions, long couponId) {
    Optional<CouponRow> row;
    try (SqlSession session = sessions.openSession(true)) {
      row = session.getMapper(CouponMapper.class).findRowById(couponId);
    }
    try {
      return row.map(CouponRow::toCoupon);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new InvalidCouponException(
          "coupon " + couponId + ": its definition in MySQL is invalid: " + e.getMessage());
    }
  }

  /**
   * Defines a coupon in MySQL and makes it live in Redis at once. The row commits only once Redis
   * took the coupon: a coupon MySQL holds but Redis refuses would never load. The id's row lock
   * keeps a second create of the same id out meanwhile.
   *
   * @param operator who creates it
   */
  public CreateOutcome create(String operator, Coupon coupon) {
    long couponId = coupon.couponId();
    LoadOutcome loaded;
    try (SqlSession session = sessions.openSession(false)) {
      CouponMapper coupons = session.getMapper(CouponMapper.class);
      if (coupons.findById(couponId).isPresent()) {
        return new CreateOutcome.AlreadyExists();
      }
      coupons.insert(coupon);
      loaded = Await.of(repair.create(coupon), redisWait);
      if (loaded instanceof LoadOutcome.Refused refused) {
        session.rollback();
        return new CreateOutcome.RefusedByRedis(refused.reason());
      }
      session.commit();
    }
    Await.of(functions.publishChanged(couponId), redisWait);
    return new CreateOutcome.Created(coupon, loaded);
  }

  /**
   * Pauses ({@link CouponStatus#PAUSED}) or resumes ({@link CouponStatus#ACTIVE}) a coupon: the
   * status and a new version in MySQL (when the coupon moved on meanwhile, it is read again and the
   * change tried again, a few times), then Redis with that version. A coupon that has the status
   * already changes nothing in MySQL, and Redis is still given it.
   *
   * @param operator who changes it
   * @throws InvalidCouponException when the coupon's row is no valid coupon
   */
  public StatusOutcome setStatus(String operator, long couponId, CouponStatus target) {
    Optional<Coupon> found = find(sessions, couponId);
    if (found.isEmpty()) {
      return new StatusOutcome.NotFound();
    }
    Coupon before = found.get();
    Coupon after = before;
    for (int attempt = 0; after.status() != target; attempt++) {
      if (attempt == MAX_TRIES) {
        return new StatusOutcome.KeepsChanging();
      }
      int updated;
      try (SqlSession session = sessions.openSession(false)) {
        updated =
            session.getMapper(CouponMapper.class).updateStatus(couponId, target, before.version());
        session.commit();
      }
      if (updated == 1) {
        after = before.withStatus(target, before.version() + 1);
      } else {
        found = find(sessions, couponId);
        if (found.isEmpty()) {
          return new StatusOutcome.NotFound();
        }
        before = found.get();
        after = before;
      }
    }
    Optional<CouponStatus> redis =
        Await.of(functions.setStatus(couponId, target, after.version()), redisWait);
    Await.of(functions.publishChanged(couponId), redisWait);
    return new StatusOutcome.Done(before, after, redis);
  }

  /**
   * Adds stock to a coupon: in MySQL, the total and a new version in one transaction, whose
   * statement refuses a total past {@link Coupon#MAX_NUMBER}; then Redis applies the same delta to
   * the remaining stock ({@code cf_load}) where it holds the coupon. What was redeemed is never
   * reset.
   *
   * @param operator who restocks it
   * @param add units of stock, 1..{@link #MAX_RESTOCK}
   * @throws org.apache.ibatis.exceptions.PersistenceException when MySQL fails before it took the
   *     restock (nothing changed); a failure after it is an outcome ({@link
   *     RestockOutcome.NotInRedisYet})
   */
  public RestockOutcome restock(String operator, long couponId, long add) {
    if (add < 1 || add > MAX_RESTOCK) {
      throw new IllegalArgumentException("add: " + add + " (expected: 1.." + MAX_RESTOCK + ")");
    }
    Coupon after;
    try (SqlSession session = sessions.openSession(false)) {
      CouponMapper coupons = session.getMapper(CouponMapper.class);
      if (coupons.addStock(couponId, add) != 1) {
        Optional<CouponRow> row = coupons.findRowById(couponId);
        return row.isEmpty()
            ? new RestockOutcome.NotFound()
            : new RestockOutcome.WouldPassMax(row.get().totalStock());
      }
      after = coupons.findById(couponId).orElseThrow();
      session.commit();
    }
    Optional<LoadOutcome> loaded;
    try {
      loaded = loadIntoRedis(after);
    } catch (RuntimeException e) {
      return new RestockOutcome.NotInRedisYet(after, e);
    }
    if (loaded.isPresent() && loaded.get() instanceof LoadOutcome.Refused refused) {
      return new RestockOutcome.RefusedByRedis(after, refused.reason());
    }
    Optional<RuntimeException> notTold = Optional.empty();
    try {
      Await.of(functions.publishChanged(couponId), redisWait);
    } catch (RuntimeException e) {
      notTold = Optional.of(e);
    }
    return new RestockOutcome.Restocked(before(after, add), after, loaded, notTold);
  }

  /** {@code cf_load} of the restocked definition; empty when Redis does not hold the coupon. */
  private Optional<LoadOutcome> loadIntoRedis(Coupon restocked) {
    if (Await.of(functions.coupon(restocked.couponId()), redisWait).isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(Await.of(repair.refresh(restocked), redisWait));
  }

  /**
   * The coupon just before a restock of {@code add}: the restock is one statement (total + add,
   * version + 1), and {@code after} was read under its row lock in the same transaction.
   */
  private static Coupon before(Coupon after, long add) {
    return new Coupon(
        after.couponId(),
        after.name(),
        after.totalStock() - add,
        after.perUserLimit(),
        after.thresholdCents(),
        after.discountCents(),
        after.startsAt(),
        after.endsAt(),
        after.status(),
        after.hot(),
        after.buckets(),
        after.version() - 1);
  }
}
