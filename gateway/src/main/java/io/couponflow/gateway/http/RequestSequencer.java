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
 * <p>Closing (RFC 9112 section 9.6): a request with {@code Connection: close}, or an HTTP/1.0
 * request without {@code keep-alive}, is the connection's last: reading stops, and whatever arrives
 * after it is dropped unexecuted. Its answer says {@code Connection: close} and closes the
 * connection once written; so does an answer the router marked {@code close} (malformed HTTP,
 * shutdown), and nothing waiting behind it is executed either. Every other answer says {@code
 * Connection: keep-alive}.
 *
 * <p>Deadline: when {@link DeadlineRequestDecoder#EXPIRED} arrives, what comes after is dropped;
 * the requests that arrived whole before it are answered, then the connection is answered 408 and
 * closed.
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

  /** The connection's last request has arrived, or a closing answer was written. */
  private boolean ending;

  RequestSequencer(HttpMetrics metrics) {
    this.metrics = metrics;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (timedOut || ending) {
      request.release();
      return;
    }
    if (!HttpUtil.isKeepAlive(request)) {
      ending = true;
      ctx.channel().config().setAutoRead(false);
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
            || response
                .headers()
                .contains(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE, true);
    response
        .headers()
        .set(
            HttpHeaderNames.CONNECTION,
            close ? HttpHeaderValues.CLOSE : HttpHeaderValues.KEEP_ALIVE);
    busy = false;
    if (close) {
      ending = true;
      ctx.channel().config().setAutoRead(false);
      dropWaiting();
      ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.write(msg, promise);
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
      if (!busy && !ending) {
        answerTimeout(ctx);
      }
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    dropWaiting();
    ctx.fireChannelInactive();
  }

  private void dropWaiting() {
    FullHttpRequest r;
    while ((r = waiting.poll()) != null) {
      r.release();
    }
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
