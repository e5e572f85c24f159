package io.couponflow.gateway.http;

import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.NettyCustomizer;
import io.lettuce.core.resource.Transports;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Lettuce resources that put the gateway's Redis connections on the API's own event loops.
 *
 * <p>Why: on a small machine the hand-offs cost more than the work. With separate loops every
 * request crossed threads twice (API loop to Redis loop with the command, back with the reply),
 * each crossing a task queue and a wake-up. On a shared loop a request, its Redis call and its
 * answer run on one thread. And the commands that a burst of requests issues within one turn of the
 * loop leave in one write: a {@link FlushConsolidationHandler} on each Redis channel merges their
 * flushes into one at the end of the turn, instead of one system call per command.
 *
 * <p>The API server owns the loops: Lettuce never shuts them down (the gateway closes Redis before
 * the API server). Where Lettuce wants another kind of loop than the server runs (no native
 * transport), the gateway keeps Lettuce's own loops.
 *
 * <p>Thread-safety: immutable.
 */
public final class SharedRedisLoops implements EventLoopGroupProvider {
  private static final int FLUSH_AFTER_COMMANDS = 256;

  private final EventLoopGroup group;
  private final int threads;

  private SharedRedisLoops(EventLoopGroup group, int threads) {
    this.group = group;
    this.threads = threads;
  }

  /**
   * Client resources on {@code server}'s event loops when Lettuce can use them, else Lettuce's
   * defaults with {@code threads} I/O threads; either way with flush consolidation.
   */
  public static ClientResources resources(HttpServer server, int threads) {
    DefaultClientResources.Builder builder =
        DefaultClientResources.builder()
            .computationThreadPoolSize(1)
            .nettyCustomizer(new ConsolidatedFlushes());
    if (Transports.eventLoopGroupClass().isInstance(server.group())) {
      builder.eventLoopGroupProvider(new SharedRedisLoops(server.group(), threads));
    } else {
      builder.ioThreadPoolSize(threads);
    }
    return builder.build();
  }

  @Override
  public <T extends EventLoopGroup> T allocate(Class<T> type) {
    if (!type.isInstance(group)) {
      throw new IllegalStateException(
          "Lettuce asked for a " + type.getName() + ", the API runs " + group.getClass().getName());
    }
    return type.cast(group);
  }

  @Override
  public int threadPoolSize() {
    return threads;
  }

  @Override
  public Future<Boolean> release(
      EventExecutorGroup eventLoopGroup, long quietPeriod, long timeout, TimeUnit unit) {
    return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
  }

  @Override
  public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit timeUnit) {
    return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
  }

  /** Puts a flush consolidator in front of every Redis channel. */
  private static final class ConsolidatedFlushes implements NettyCustomizer {
    @Override
    public void afterChannelInitialized(Channel channel) {
      channel.pipeline().addFirst(new FlushConsolidationHandler(FLUSH_AFTER_COMMANDS, true));
    }
  }
}
