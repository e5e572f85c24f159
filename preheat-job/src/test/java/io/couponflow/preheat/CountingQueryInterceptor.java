package io.couponflow.preheat;

import com.mysql.cj.MysqlConnection;
import com.mysql.cj.Query;
import com.mysql.cj.interceptors.QueryInterceptor;
import com.mysql.cj.log.Log;
import com.mysql.cj.protocol.Resultset;
import com.mysql.cj.protocol.ServerSession;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * Records every read of couponflow's tables that goes through a connection whose JDBC URL names
 * this class in {@code queryInterceptors}: the driver calls it before each statement, so nothing
 * escapes it and nothing else is counted.
 *
 * <p>Thread-safety: safe for use by many threads (the driver calls it from each connection's).
 */
public final class CountingQueryInterceptor implements QueryInterceptor {
  private static final Pattern TABLE_READ =
      Pattern.compile("^\\s*select\\b.*\\bfrom\\s+(coupon|redemption)\\b", Pattern.DOTALL);
  private static final List<String> READS = new CopyOnWriteArrayList<>();

  /** The reads recorded since the last {@link #reset()}. */
  static List<String> reads() {
    return List.copyOf(READS);
  }

  static void reset() {
    READS.clear();
  }

  @Override
  public QueryInterceptor init(MysqlConnection conn, Properties props, Log log) {
    return this;
  }

  @Override
  public <T extends Resultset> T preProcess(Supplier<String> sql, Query interceptedQuery) {
    String text = sql == null ? null : sql.get();
    if (text != null && TABLE_READ.matcher(text.toLowerCase(Locale.ROOT)).find()) {
      READS.add(text.strip());
    }
    return null;
  }

  @Override
  public boolean executeTopLevelOnly() {
    return false;
  }

  @Override
  public void destroy() {}

  @Override
  public <T extends Resultset> T postProcess(
      Supplier<String> sql, Query interceptedQuery, T originalResultSet, ServerSession session) {
    return null;
  }
}
