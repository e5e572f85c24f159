package io.couponflow.gateway.http;

import io.couponflow.gateway.GatewayConfig;
import io.couponflow.gateway.redeem.Redemptions;
import io.couponflow.gateway.security.Caller;
import io.couponflow.gateway.security.ClientRoles;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * The API connection's pipeline, in the order bytes meet it: TLS when configured (each connection
 * with the context current when it was accepted, see {@link ReloadingSslContext}) and who the
 * client is ({@link ClientIdentity}), then HTTP.
 */
public final class ApiInitializer extends ChannelInitializer<Channel> {
  private final GatewayConfig config;
  private final HttpMetrics metrics;
  private final ChannelGroup connections;
  private final ApiRouter router;
  private final ReloadingSslContext tls;
  private final ClientIdentity identity;

  /** Plain text: every caller has every role. */
  public ApiInitializer(
      GatewayConfig config,
      Redemptions service,
      HttpMetrics metrics,
      InFlight inFlight,
      ChannelGroup connections) {
    this(config, service, metrics, inFlight, connections, null, null);
  }

  /**
   * @param connections every open API connection joins this group, so shutdown can close them
   * @param tls the API's TLS context; null for plain text
   * @param roles the roles of client certificates, when {@code tls} requires them (mTLS); null
   *     otherwise (every caller has every role)
   */
  public ApiInitializer(
      GatewayConfig config,
      Redemptions service,
      HttpMetrics metrics,
      InFlight inFlight,
      ChannelGroup connections,
      ReloadingSslContext tls,
      ClientRoles roles) {
    if (roles != null && (tls == null || !tls.requiresClientCertificates())) {
      throw new IllegalArgumentException("roles need TLS with client certificates");
    }
    this.config = config;
    this.metrics = metrics;
    this.connections = connections;
    this.router = new ApiRouter(service, metrics, inFlight);
    this.tls = tls;
    this.identity = tls == null ? null : new ClientIdentity(roles, metrics);
  }

  @Override
  protected void initChannel(Channel ch) {
    connections.add(ch);
    ch.config().setWriteBufferWaterMark(RequestSequencer.WATER_MARK);
    if (tls == null) {
      ch.attr(ClientIdentity.CALLER).set(Caller.ANYONE);
    } else {
      ch.pipeline().addLast("tls", tls.newHandler(ch.alloc())).addLast("identity", identity);
    }
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
        .addLast("sequencer", new RequestSequencer(metrics))
        .addLast("router", router);
  }

  /** Aggregates a request's body, answering an oversized one with the API's JSON 413. */
  private static final class JsonAggregator extends HttpObjectAggregator {
    private final HttpMetrics metrics;

    JsonAggregator(int maxContentLength, HttpMetrics metrics) {
      super(maxContentLength, true);
      this.metrics = metrics;
    }

    /**
     * The aggregator's own answers to {@code Expect} are the API's: an expectation other than
     * {@code 100-continue} gets none (not an empty 417; the request goes on and the router refuses
     * it in its turn), and a body announced too large gets the API's JSON 413 (not an empty one).
     * The aggregator closes the connection after a 4xx of its own.
     */
    @Override
    protected Object newContinueResponse(
        HttpMessage start, int maxContentLength, ChannelPipeline pipeline) {
      if (ApiRouter.hasUnsupportedExpectation(start)) {
        return null;
      }
      Object answer = super.newContinueResponse(start, maxContentLength, pipeline);
      if (answer instanceof HttpResponse r
          && r.status().code() == ApiError.PAYLOAD_TOO_LARGE.status().code()) {
        ReferenceCountUtil.release(answer);
        return tooLarge(pipeline.channel().alloc());
      }
      return answer;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
      ctx.writeAndFlush(tooLarge(ctx.alloc())).addListener(ChannelFutureListener.CLOSE);
    }

    private FullHttpResponse tooLarge(ByteBufAllocator alloc) {
      metrics.recordError(Route.MALFORMED, ApiError.PAYLOAD_TOO_LARGE, 0);
      FullHttpResponse response =
          ApiRouter.errorResponse(
              alloc, ApiError.PAYLOAD_TOO_LARGE, "the request body is too large");
      HttpUtil.setContentLength(response, response.content().readableBytes());
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      return response;
    }
  }
}
