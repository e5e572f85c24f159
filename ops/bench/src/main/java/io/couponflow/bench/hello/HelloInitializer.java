package io.couponflow.bench.hello;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;

/**
 * The pipeline: the gateway's request decoder limits (line 2048, headers 8192, chunks 8192), its
 * response encoder and body aggregator (4096), then the handler.
 */
final class HelloInitializer extends ChannelInitializer<Channel> {
  private final HelloHandler handler;

  HelloInitializer(HelloHandler handler) {
    this.handler = handler;
  }

  @Override
  protected void initChannel(Channel ch) {
    ch.pipeline()
        .addLast(
            "codec",
            new HttpServerCodec(
                new HttpDecoderConfig()
                    .setMaxInitialLineLength(2048)
                    .setMaxHeaderSize(8192)
                    .setMaxChunkSize(8192)))
        .addLast("aggregator", new HttpObjectAggregator(4096))
        .addLast("handler", handler);
  }
}
