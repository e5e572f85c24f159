package io.couponflow.gateway.http;

import io.netty.buffer.ByteBufHolder;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;

/**
 * One connection's order: hands its requests to the {@link ApiRouter} one at a time, in the order
 * they came, and the next only once the answer to the one before is written.
 *
 * <p>Backpressure: answers the client does not read pile up in the channel's outbound buffer; past
 * its high {@link #WATER_MARK water mark} the channel turns unwritable. From then on nothing more
 * is read from the socket, and no request is handed on (whether the router would answer it locally
 * or ask Redis), until the client has read enough for the buffer to fall below the low mark. A
 * client that never reads is thus paused, and cut when it has been idle for the idle timeout
 * ({@code reason="unread_answers"}).
 *
 * <p>Pipelining: at most {@value #MAX_PIPELINED} requests may wait, behind the one in progress or
 * behind a full buffer. A request beyond that is dropped and cut the connection ({@code
 * reason="pipelining_limit"}): reading stops, the requests already accepted are answered, and the
 * last answer closes the connection.
 *
 * <p>Memory: what one connection holds is thus bounded: at most {@value #MAX_PIPELINED} waiting
 * requests (each within the line, header and body limits), and the answers not yet read, which past
 * {@value #MAX_BUFFERED_BYTES} bytes cut the connection at once ({@code reason="buffer_limit"}).
 * Each cut is counted in {@code couponflow_http_connections_cut_total}.
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

  /** When the API channel turns unwritable (high) and writable again (low). */
  static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(32 * 1024, 64 * 1024);

  /** Answers a connection may hold unread before it is cut. */
  static final int MAX_BUFFERED_BYTES = 256 * 1024;

  private static final ClosedChannelException CUT = new ClosedChannelException();

  private final HttpMetrics metrics;
  private final int maxBufferedBytes;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private boolean busy;
  private boolean keepAlive;
  private boolean timedOut;

  /** The connection's last request has arrived, or a closing answer was written. */
  private boolean ending;

  /** The pipelining limit cut the connection: the last request waiting closes it. */
  private boolean cut;

  RequestSequencer(HttpMetrics metrics) {
    this(metrics, MAX_BUFFERED_BYTES);
  }

  RequestSequencer(HttpMetrics metrics, int maxBufferedBytes) {
    this.metrics = metrics;
    this.maxBufferedBytes = maxBufferedBytes;
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
    if (busy || !waiting.isEmpty() || !ctx.channel().isWritable()) {
      if (waiting.size() >= MAX_PIPELINED) {
        request.release();
        metrics.connectionCut(HttpMetrics.Cut.PIPELINING_LIMIT);
        cut = true;
        end(ctx);
        return;
      }
      if (!HttpUtil.isKeepAlive(request)) {
        end(ctx);
      }
      waiting.add(request);
      return;
    }
    if (!HttpUtil.isKeepAlive(request)) {
      end(ctx);
    }
    start(ctx, request);
  }

  /** No request after this point is read or kept. */
  private void end(ChannelHandlerContext ctx) {
    ending = true;
    ctx.channel().config().setAutoRead(false);
  }

  private void start(ChannelHandlerContext ctx, FullHttpRequest request) {
    busy = true;
    keepAlive = HttpUtil.isKeepAlive(request);
    ctx.fireChannelRead(request);
  }

  /** Hands on the next request waiting, if one may go now. */
  private void proceed(ChannelHandlerContext ctx) {
    if (busy || !ctx.channel().isWritable()) {
      return;
    }
    FullHttpRequest next = waiting.poll();
    if (next != null) {
      start(ctx, next);
    } else if (timedOut && !ending) {
      answerTimeout(ctx);
    }
  }

  /** Called with the router's answer to the request in progress (or what else flows out). */
  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (buffered(ctx.channel(), msg) > maxBufferedBytes) {
      ReferenceCountUtil.release(msg);
      if (!promise.isVoid()) {
        promise.tryFailure(CUT);
      }
      if (ctx.channel().isOpen()) {
        metrics.connectionCut(HttpMetrics.Cut.BUFFER_LIMIT);
        busy = false;
        end(ctx);
        dropWaiting();
        ctx.close();
      }
      return;
    }
    if (!(msg instanceof HttpResponse response) || !busy) {
      ctx.write(msg, promise);
      return;
    }
    boolean close =
        !keepAlive
            || (cut && waiting.isEmpty())
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
      end(ctx);
      dropWaiting();
      ctx.write(msg, promise.unvoid()).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    ctx.write(msg, promise);
    proceed(ctx);
  }

  /**
   * What the connection would hold unread with {@code msg} written: the outbound buffer's bytes
   * (known beyond the low water mark once the channel is unwritable) and the message's own.
   */
  private static long buffered(Channel channel, Object msg) {
    if (!channel.isActive()) {
      return 0; // the write fails; a closed channel holds nothing (and reports Long.MAX_VALUE)
    }
    long pending =
        channel.isWritable()
            ? 0
            : channel.bytesBeforeWritable() + channel.config().getWriteBufferLowWaterMark();
    return pending + (msg instanceof ByteBufHolder h ? h.content().readableBytes() : 0);
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (ctx.channel().isWritable()) {
      if (!ending) {
        ctx.channel().config().setAutoRead(true);
      }
      proceed(ctx);
    } else {
      ctx.channel().config().setAutoRead(false);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (!busy) {
        if (!ctx.channel().isWritable()) {
          metrics.connectionCut(HttpMetrics.Cut.UNREAD_ANSWERS);
        }
        ctx.close();
      }
    } else if (evt == DeadlineRequestDecoder.EXPIRED) {
      timedOut = true;
      if (!busy && waiting.isEmpty() && !ending) {
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
