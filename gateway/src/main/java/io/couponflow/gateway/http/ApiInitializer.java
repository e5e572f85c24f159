package io.couponflow.gateway.http;

import io.couponflow.gateway.GatewayConfig;
import io.couponflow.gateway.redeem.RedemptionService;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.TimeUnit;

/** The API connection's pipeline, in the order bytes meet it. */
public final class ApiInitializer extends ChannelInitializer<SocketChannel> {
  private final GatewayConfig config;
  private final RedemptionService service;
  private final HttpMetrics metrics;
  private final InFlight inFlight;
  private final ChannelGroup connections;

  /**
   * @param connections every open API connection joins this group, so shutdown can close them
   */
  public ApiInitializer(
      GatewayConfig config,
      RedemptionService service,
      HttpMetrics metrics,
      InFlight inFlight,
      ChannelGroup connections) {
    this.config = config;
    this.service = service;
    this.metrics = metrics;
    this.inFlight = inFlight;
    this.connections = connections;
  }

  @Override
  protected void initChannel(SocketChannel ch) {
    connections.add(ch);
    ch.pipeline()
        .addLast(
            "idle",
            new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
        .addLast("encoder", new HttpResponseEncoder())
        .addLast(
            "decoder",
            new DeadlineRequestDecoder(
                config.maxLineBytes(), config.maxHeaderBytes(), config.requestTimeout()))
        .addLast("aggregator", new JsonAggregator(config.maxBodyBytes(), metrics))
        .addLast("api", new ApiHandler(service, metrics, inFlight));
  }

  /** Aggregates a request's body, answering an oversized one with the API's JSON 413. */
  private static final class JsonAggregator extends HttpObjectAggregator {
    private final HttpMetrics metrics;

    JsonAggregator(int maxContentLength, HttpMetrics metrics) {
      super(maxContentLength, true);
      this.metrics = metrics;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      metrics.recordError(Route.MALFORMED, ApiError.PAYLOAD_TOO_LARGE, 0);
      FullHttpResponse response =
          ApiHandler.errorResponse(
              ctx, ApiError.PAYLOAD_TOO_LARGE, "the request body is too large");
      HttpUtil.setContentLength(response, response.content().readableBytes());
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
