package io.couponflow.sql;

import java.util.List;
import org.apache.ibatis.annotations.Param;

/** The {@code dead_letter} table: outbox entries the sink could not store, with their errors. */
public interface DeadLetterMapper {
  /** Stores a dead letter; storing the same outbox entry again only refreshes its error. */
  int insert(
      @Param("couponId") long couponId,
      @Param("outboxId") String outboxId,
      @Param("entry") String entry,
      @Param("error") String error);

  List<DeadLetterRow> recent(@Param("couponId") Long couponId, @Param("limit") int limit);

  long count(@Param("couponId") Long couponId);
}
