package io.couponflow.gateway.http;

import io.couponflow.gateway.health.Health;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.stream.Collectors;

/** The management port: liveness, readiness and Prometheus metrics. Holds no per-channel state. */
@ChannelHandler.Sharable
public final class ManagementHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private final Health health;
  private final PrometheusMeterRegistry registry;

  public ManagementHandler(Health health, PrometheusMeterRegistry registry) {
    this.health = health;
    this.registry = registry;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    String path = request.uri().split("\\?", 2)[0];
    if (!request.method().equals(HttpMethod.GET)) {
      FullHttpResponse response =
          response(
              HttpResponseStatus.METHOD_NOT_ALLOWED,
              "application/json",
              "{\"error\":{\"code\":\"METHOD_NOT_ALLOWED\",\"message\":\"only GET\"}}");
      response.headers().set(HttpHeaderNames.ALLOW, "GET");
      send(ctx, keepAlive, response);
      return;
    }
    switch (path) {
      case "/health/live" ->
          send(ctx, keepAlive, HttpResponseStatus.OK, "application/json", "{\"status\":\"UP\"}");
      case "/health/ready" ->
          health
              .check()
              .whenComplete(
                  (report, failure) ->
                      ctx.executor()
                          .execute(
                              () -> {
                                boolean ready = report != null && report.ready();
                                String body =
                                    report == null
                                        ? "{\"status\":\"DOWN\"}"
                                        : "{\"status\":\""
                                            + (ready ? "UP" : "DOWN")
                                            + "\",\"components\":{"
                                            + components(report.components())
                                            + "}}";
                                send(
                                    ctx,
                                    keepAlive,
                                    ready
                                        ? HttpResponseStatus.OK
                                        : HttpResponseStatus.SERVICE_UNAVAILABLE,
                                    "application/json",
                                    body);
                              }));
      case "/metrics" ->
          send(
              ctx,
              keepAlive,
              HttpResponseStatus.OK,
              "text/plain; version=0.0.4; charset=utf-8",
              registry.scrape());
      default ->
          send(
              ctx,
              keepAlive,
              HttpResponseStatus.NOT_FOUND,
              "application/json",
              "{\"error\":{\"code\":\"NOT_FOUND\",\"message\":\"no such resource\"}}");
    }
  }

  private static String components(Map<String, Health.State> components) {
    return components.entrySet().stream()
        .map(e -> "\"" + e.getKey() + "\":\"" + e.getValue() + "\"")
        .collect(Collectors.joining(","));
  }

  private static void send(
      ChannelHandlerContext ctx,
      boolean keepAlive,
      HttpResponseStatus status,
      String type,
      String body) {
    send(ctx, keepAlive, response(status, type, body));
  }

  private static FullHttpResponse response(HttpResponseStatus status, String type, String body) {
    ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
    HttpUtil.setContentLength(response, content.readableBytes());
    return response;
  }

  private static void send(
      ChannelHandlerContext ctx, boolean keepAlive, FullHttpResponse response) {
    HttpUtil.setKeepAlive(response, keepAlive);
    if (keepAlive) {
      ctx.writeAndFlush(response);
    } else {
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
