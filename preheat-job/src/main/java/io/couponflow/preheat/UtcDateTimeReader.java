package io.couponflow.preheat;

import java.sql.CallableStatement;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.apache.ibatis.type.BaseTypeHandler;
import org.apache.ibatis.type.JdbcType;

/**
 * Reads a UTC {@code DATETIME(3)} column as an {@link Instant} through {@code
 * getObject(LocalDateTime)}: no zone enters, and it is about five times cheaper than going through
 * text, which is what a million-row page walk notices. Writes stay with the shared handler.
 */
public final class UtcDateTimeReader extends BaseTypeHandler<Instant> {
  @Override
  public void setNonNullParameter(PreparedStatement ps, int i, Instant value, JdbcType jdbcType) {
    throw new UnsupportedOperationException("UtcDateTimeReader only reads");
  }

  @Override
  public Instant getNullableResult(ResultSet rs, String columnName) throws SQLException {
    return toInstant(rs.getObject(columnName, LocalDateTime.class));
  }

  @Override
  public Instant getNullableResult(ResultSet rs, int columnIndex) throws SQLException {
    return toInstant(rs.getObject(columnIndex, LocalDateTime.class));
  }

  @Override
  public Instant getNullableResult(CallableStatement cs, int columnIndex) throws SQLException {
    return toInstant(cs.getObject(columnIndex, LocalDateTime.class));
  }

  private static Instant toInstant(LocalDateTime value) {
    return value == null ? null : value.toInstant(ZoneOffset.UTC);
  }
}
