package io.couponflow.gateway.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/** The management connection's pipeline: small requests, one shared handler. */
public final class ManagementInitializer extends ChannelInitializer<SocketChannel> {
  private final ManagementHandler handler;

  public ManagementInitializer(ManagementHandler handler) {
    this.handler = handler;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    ch.pipeline()
        .addLast(new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS))
        .addLast(new HttpServerCodec(4096, 8192, 8192))
        .addLast(new HttpObjectAggregator(4096))
        .addLast(handler);
  }
}
