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
 * no time zone of the JVM or the session enters the conversion.
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
    return parse(rs.getString(columnName));
  }

  @Override
  public Instant getNullableResult(ResultSet rs, int columnIndex) throws SQLException {
    return parse(rs.getString(columnIndex));
  }

  @Override
  public Instant getNullableResult(CallableStatement cs, int columnIndex) throws SQLException {
    return parse(cs.getString(columnIndex));
  }

  private static Instant parse(String text) {
    if (text == null) {
      return null;
    }
    return LocalDateTime.parse(text.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
  }
}
