package io.couponflow.preheat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.couponflow.config.Env;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.retry.Retry;
import java.sql.SQLSyntaxErrorException;
import java.sql.SQLTransientConnectionException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.ibatis.exceptions.PersistenceException;
import org.junit.jupiter.api.Test;

/**
 * The MySQL breaker counts outages only: a bug fails the run instead of sending it to a snapshot.
 */
class BreakersTest {
  private final Breakers breakers =
      new Breakers(
          PreheatSettings.from(
              Env.of(Map.of("COUPON_PREHEAT_ATTEMPTS", "2", "COUPON_PREHEAT_RETRY_WAIT", "0s"))));

  private Supplier<Object> guarded(Supplier<Object> read) {
    return Retry.decorateSupplier(
        breakers.mysqlRetry, CircuitBreaker.decorateSupplier(breakers.mysql, read));
  }

  @Test
  void outage_isRetried_andOpensTheBreaker() {
    AtomicInteger calls = new AtomicInteger();
    RuntimeException outage =
        new PersistenceException(new SQLTransientConnectionException("pool timed out"));

    assertThatThrownBy(
            () ->
                guarded(
                        () -> {
                          calls.incrementAndGet();
                          throw outage;
                        })
                    .get())
        .isSameAs(outage);

    assertThat(calls).hasValue(2);
    assertThat(breakers.mysql.getState()).isEqualTo(CircuitBreaker.State.OPEN);
    assertThat(Breakers.isMySqlUnavailable(outage)).isTrue();
  }

  @Test
  void statementMySqlRefuses_orAMappingBug_isNotRetried_andLeavesTheBreakerClosed() {
    for (RuntimeException bug :
        new RuntimeException[] {
          new PersistenceException(new SQLSyntaxErrorException("syntax", "42000", 1064)),
          new PersistenceException(new IllegalArgumentException("name: must not be blank"))
        }) {
      AtomicInteger calls = new AtomicInteger();

      assertThatThrownBy(
              () ->
                  guarded(
                          () -> {
                            calls.incrementAndGet();
                            throw bug;
                          })
                      .get())
          .isSameAs(bug);

      assertThat(calls).as("%s", bug.getCause()).hasValue(1);
      assertThat(Breakers.isMySqlUnavailable(bug)).isFalse();
    }
    assertThat(breakers.mysql.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
  }
}
