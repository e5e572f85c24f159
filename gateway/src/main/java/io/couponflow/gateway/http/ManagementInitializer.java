package io.couponflow.gateway.http;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/**
 * The management connection's pipeline: TLS when configured (never asking for a client certificate:
 * probes and scrapers present none), small requests, one shared handler.
 */
public final class ManagementInitializer extends ChannelInitializer<SocketChannel> {
  private final ManagementHandler handler;
  private final ReloadingSslContext tls;

  /**
   * @param tls the management port's TLS context; null for plain text
   */
  public ManagementInitializer(ManagementHandler handler, ReloadingSslContext tls) {
    this.handler = handler;
    this.tls = tls;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    if (tls != null) {
      ch.pipeline().addLast(tls.newHandler(ch.alloc()));
    }
    ch.pipeline()
        .addLast(new IdleStateHandler(0, 0, 60, TimeUnit.SECONDS))
        .addLast(new HttpServerCodec(4096, 8192, 8192))
        .addLast(new HttpObjectAggregator(4096))
        .addLast(handler);
  }
}
