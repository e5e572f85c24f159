package io.couponflow.sql;

import java.sql.CallableStatement;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.apache.ibatis.type.BaseTypeHandler;
import org.apache.ibatis.type.JdbcType;

/**
 * Binds {@link Instant} to {@code DATETIME(3)} columns as UTC text with milliseconds.
 *
 * <p>MariaDB announces itself to MySQL Connector/J as version "5.5.5-10.x", so the driver drops
 * fractional seconds from {@code setTimestamp}; text keeps them on MySQL 8 and MariaDB alike, and
 * no time zone of the JVM or the session enters the conversion. Reading takes the column as a
 * {@code LocalDateTime} (milliseconds are kept on reads, and it is several times faster than text).
 */
public final class UtcInstantTypeHandler extends BaseTypeHandler<Instant> {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

  @Override
  public void setNonNullParameter(PreparedStatement ps, int i, Instant value, JdbcType jdbcType)
      throws SQLException {
    ps.setString(i, FORMAT.format(LocalDateTime.ofInstant(value, ZoneOffset.UTC)));
  }

  @Override
  public Instant getNullableResult(ResultSet rs, String columnName) throws SQLException {
    return utc(rs.getObject(columnName, LocalDateTime.class));
  }

  @Override
  public Instant getNullableResult(ResultSet rs, int columnIndex) throws SQLException {
    return utc(rs.getObject(columnIndex, LocalDateTime.class));
  }

  @Override
  public Instant getNullableResult(CallableStatement cs, int columnIndex) throws SQLException {
    return utc(cs.getObject(columnIndex, LocalDateTime.class));
  }

  /** A DATETIME read as it is stored (no zone conversion), taken as UTC. */
  private static Instant utc(LocalDateTime value) {
    return value == null ? null : value.toInstant(ZoneOffset.UTC);
  }
}
