package io.couponflow.bench.hello;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Scenario H's server, the bare Netty answer: the gateway's HTTP codec, socket options and event
 * loops (epoll where the platform has it), answering every request with the same fixed 201 JSON
 * body, and doing nothing else. Not couponflow: the yardstick for what any Netty server answering
 * the same load costs on this machine.
 *
 * <p>Usage: {@code HelloServer <port> <body file> <event loops>}; prints {@code hello: listening}
 * once bound, and runs until killed.
 */
public final class HelloServer {
  private HelloServer() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: HelloServer <port> <body file> <event loops>");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    byte[] body = Files.readAllBytes(Path.of(args[1]));
    int loops = Integer.parseInt(args[2]);
    boolean epoll = Epoll.isAvailable();
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            loops, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    Channel server =
        new ServerBootstrap()
            .group(group)
            .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.SO_KEEPALIVE, true)
            .childHandler(new HelloInitializer(new HelloHandler(body)))
            .bind("127.0.0.1", port)
            .sync()
            .channel();
    System.out.printf(
        "hello: listening on 127.0.0.1:%d (%s, %d event loop(s), %d-byte body)%n",
        port, epoll ? "epoll" : "nio", loops, body.length);
    System.out.flush();
    server.closeFuture().sync();
  }
}
