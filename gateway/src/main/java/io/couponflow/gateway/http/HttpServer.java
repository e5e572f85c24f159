package io.couponflow.gateway.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A Netty server socket: native epoll where the platform has it, NIO otherwise; pooled buffers. */
public final class HttpServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpServer.class);

  private final String name;
  private final EventLoopGroup group;
  private final ChannelGroup connections = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);
  private Channel channel;

  private HttpServer(String name, EventLoopGroup group) {
    this.name = name;
    this.group = group;
  }

  /** A server with event loops of its own. */
  public static HttpServer withThreads(String name, int threads) {
    return new HttpServer(name, newGroup(threads));
  }

  private static EventLoopGroup newGroup(int threads) {
    return new MultiThreadIoEventLoopGroup(
        threads, Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
  }

  private static Class<? extends ServerChannel> channelClass() {
    return Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** Binds and starts accepting; returns the bound port (useful when asked for port 0). */
  public int bind(String host, int port, ChannelHandler initializer) {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(group)
            .channel(channelClass())
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childHandler(initializer);
    ChannelFuture binding = bootstrap.bind(host, port).awaitUninterruptibly();
    if (!binding.isSuccess()) {
      throw new IllegalStateException(
          name + " cannot listen on " + host + ":" + port + ": " + binding.cause().getMessage(),
          binding.cause());
    }
    channel = binding.channel();
    int bound = ((InetSocketAddress) channel.localAddress()).getPort();
    log.info(
        "{} listening on {}:{} ({})", name, host, bound, Epoll.isAvailable() ? "epoll" : "nio");
    return bound;
  }

  /** The event loops this server runs on (shared with Redis, see {@link SharedRedisLoops}). */
  public EventLoopGroup group() {
    return group;
  }

  /**
   * Runs {@code task} on this server's event loop now and then every {@code every}, until the
   * server closes. The task must not block, and should not throw: a throw ends the repetition.
   */
  public void runEvery(Duration every, Runnable task) {
    group.scheduleWithFixedDelay(
        task, 0, every.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** The open connections, for an initializer to add each new one to. */
  public ChannelGroup connections() {
    return connections;
  }

  /** Closes every open connection, waiting at most {@code timeout}. */
  public void closeConnections(Duration timeout) {
    connections.close().awaitUninterruptibly(timeout.toMillis());
  }

  /** Stops accepting connections; open connections go on. */
  public void stopAccepting() {
    if (channel != null) {
      channel.close().syncUninterruptibly();
    }
  }

  @Override
  public void close() {
    stopAccepting();
    group.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
