package io.couponflow.gateway.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayDeque;

/**
 * One connection's order: hands its requests to the {@link ApiRouter} one at a time, in the order
 * they came, and the next only once the answer to the one before is written.
 *
 * <p>Pipelining: at most {@value #MAX_PIPELINED} requests may wait behind the one in progress; a
 * client sending more is cut off.
 *
 * <p>Keep-alive: each answer says {@code Connection: keep-alive} unless its request did not ask to
 * keep the connection, the router marked it {@code close}, or the request deadline passed; such an
 * answer closes the connection once written.
 *
 * <p>Deadline: when {@link DeadlineRequestDecoder#EXPIRED} arrives, what came after is dropped, and
 * once the answers before it are written the connection is answered 408 and closed.
 *
 * <p>Thread-safety: one instance per connection; every method runs on its event loop.
 */
final class RequestSequencer extends ChannelDuplexHandler {
  static final int MAX_PIPELINED = 32;

  private final HttpMetrics metrics;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private boolean busy;
  private boolean keepAlive;
  private boolean timedOut;

  RequestSequencer(HttpMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (timedOut) {
      request.release();
      return;
    }
    if (busy) {
      if (waiting.size() >= MAX_PIPELINED) {
        request.release();
        ctx.close();
        return;
      }
      waiting.add(request);
      return;
    }
    start(ctx, request);
  }

  private void start(ChannelHandlerContext ctx, FullHttpRequest request) {
    busy = true;
    keepAlive = HttpUtil.isKeepAlive(request);
    ctx.fireChannelRead(request);
  }

  /** Called with the router's answer to the request in progress (or what else flows out). */
  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (!(msg instanceof HttpResponse response) || !busy) {
      ctx.write(msg, promise);
      return;
    }
    boolean close =
        !keepAlive
            || timedOut
            || response
                .headers()
                .contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
    response
        .headers()
        .set(
            HttpHeaderNames.CONNECTION,
            close ? HttpHeaderValues.CLOSE : HttpHeaderValues.KEEP_ALIVE);
    if (close) {
      ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
    } else {
      ctx.write(msg, promise);
    }
    busy = false;
    FullHttpRequest next = waiting.poll();
    if (next != null) {
      start(ctx, next);
    } else if (timedOut) {
      answerTimeout(ctx);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (!busy) {
        ctx.close();
      }
    } else if (evt == DeadlineRequestDecoder.EXPIRED) {
      timedOut = true;
      if (!busy) {
        answerTimeout(ctx);
      }
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    FullHttpRequest r;
    while ((r = waiting.poll()) != null) {
      r.release();
    }
    ctx.fireChannelInactive();
  }

  private void answerTimeout(ChannelHandlerContext ctx) {
    FullHttpResponse response =
        ApiRouter.errorResponse(
            ctx.alloc(), ApiError.REQUEST_TIMEOUT, "the request was not received whole in time");
    metrics.recordError(Route.MALFORMED, ApiError.REQUEST_TIMEOUT, 0);
    HttpUtil.setContentLength(response, response.content().readableBytes());
    response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
  }
}
