package io.couponflow.gateway.coupon;

import io.couponflow.sql.CouponMapper;
import io.couponflow.sql.Database;
import io.couponflow.sql.MySqlFailures;
import io.couponflow.sql.RedemptionCounts;
import io.couponflow.sql.RedemptionMapper;
import java.util.Optional;
import org.apache.ibatis.session.SqlSession;

/**
 * Coupon definitions read from MySQL. Only an outage ({@link MySqlFailures#isOutage}) is "cannot be
 * asked": a row no coupon can be made of, or a mapping bug, is thrown as it is, a bug the request
 * path logs and answers 500, never a 503 a retry could cure.
 *
 * <p>Thread-safety: safe for use by many threads.
 */
public final class MySqlCouponDefinitions implements CouponDefinitions {
  private final Database database;

  public MySqlCouponDefinitions(Database database) {
    this.database = database;
  }

  @Override
  public Optional<Definition> read(long couponId) {
    try (SqlSession session = database.sessions().openSession(true)) {
      return session
          .getMapper(CouponMapper.class)
          .findById(couponId)
          .map(
              c -> {
                RedemptionCounts counts =
                    session.getMapper(RedemptionMapper.class).countsFor(couponId);
                return new Definition(c, counts.accepted(), counts.reversed());
              });
    } catch (RuntimeException e) {
      if (!MySqlFailures.isOutage(e)) {
        throw e;
      }
      throw new MetadataUnavailableException(
          "coupon " + couponId + " is not in Redis and MySQL cannot be read: " + e.getMessage(), e);
    }
  }
}
