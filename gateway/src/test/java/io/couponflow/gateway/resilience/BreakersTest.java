package io.couponflow.gateway.resilience;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.lua.RedisReplies;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisCommandExecutionException;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.StacklessClosedChannelException;
import io.netty.channel.unix.Errors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Redis transport failures, however the client hands them through, are one thing: {@link
 * RedisReplies.RedisUnavailableException} from {@link RedisReplies#map}, and a failed call for the
 * {@code redis} circuit breaker. An error the library raised is neither.
 */
class BreakersTest {
  /** What Lettuce completes a command with when the connection broke under it. */
  private static List<Throwable> transportFailures() {
    io.netty.channel.epoll.Epoll.ensureAvailability();
    return List.of(
        new Errors.NativeIoException("recvAddress", Errors.ERRNO_ECONNRESET_NEGATIVE),
        new Errors.NativeIoException("writevAddresses", Errors.ERRNO_EPIPE_NEGATIVE),
        new CompletionException(new ClosedChannelException()),
        StacklessClosedChannelException.newInstance(BreakersTest.class, "write"),
        new IOException("Connection reset by peer"),
        new UncheckedIOException(new IOException("broken")),
        new io.netty.channel.ChannelException(new IOException("wrapped")));
  }

  @Test
  void map_everyTransportFailure_isRedisUnavailable() {
    for (Throwable failure : transportFailures()) {
      assertThat(RedisReplies.map(failure))
          .as(failure.toString())
          .isInstanceOf(RedisReplies.RedisUnavailableException.class)
          .hasMessageStartingWith("Redis connection failed: ");
    }
  }

  @Test
  void map_aLibraryError_orABug_isNotUnavailable() {
    assertThat(
            RedisReplies.map(
                new RedisCommandExecutionException("ERR couponflow: bad argument 'buckets'")))
        .isInstanceOf(RedisReplies.LibraryErrorException.class);
    assertThat(RedisReplies.map(new IllegalArgumentException("a bug")))
        .isExactlyInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void redisBreaker_countsEveryTransportFailureAsFailed_butNotALibraryError() {
    CircuitBreaker redis =
        new Breakers(
                new BreakerSettings(50, 100, 100, Duration.ofSeconds(1)), new SimpleMeterRegistry())
            .redis();

    for (Throwable failure : transportFailures()) {
      redis.onError(1, TimeUnit.MILLISECONDS, failure);
    }
    redis.onError(
        1, TimeUnit.MILLISECONDS, new RedisCommandExecutionException("ERR couponflow: bad"));

    assertThat(redis.getMetrics().getNumberOfFailedCalls()).isEqualTo(transportFailures().size());
    assertThat(redis.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
  }
}
