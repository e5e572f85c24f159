package io.couponflow.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decodes requests and holds each to a whole-request deadline, against slow-drip clients: from the
 * first byte of a request to its last, at most the deadline may pass, however steadily the bytes
 * trickle in (an idle timeout alone never fires on such a client). When it passes, {@link #EXPIRED}
 * is fired; the API handler answers 408 once the requests before it are answered, and closes.
 *
 * <p>A request is in progress from the first byte the decoder consumes or holds until the decoder
 * emits its {@link LastHttpContent}; bytes of the next pipelined request that arrive with the end
 * of one start the next deadline at once.
 */
final class DeadlineRequestDecoder extends HttpRequestDecoder {
  static final Object EXPIRED = new Object();

  private final long deadlineNanos;
  private ScheduledFuture<?> timer;

  DeadlineRequestDecoder(int maxLineBytes, int maxHeaderBytes, Duration deadline) {
    super(
        new HttpDecoderConfig()
            .setMaxInitialLineLength(maxLineBytes)
            .setMaxHeaderSize(maxHeaderBytes)
            .setMaxChunkSize(8192));
    this.deadlineNanos = deadline.toNanos();
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    int before = in.readableBytes();
    int emitted = out.size();
    super.decode(ctx, in, out);
    for (int i = emitted; i < out.size(); i++) {
      if (out.get(i) instanceof LastHttpContent) {
        cancel();
        return;
      }
    }
    if (in.readableBytes() < before || out.size() > emitted || in.isReadable()) {
      start(ctx);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    cancel();
    super.channelInactive(ctx);
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    cancel();
    super.handlerRemoved0(ctx);
  }

  private void start(ChannelHandlerContext ctx) {
    if (timer == null) {
      timer = ctx.executor().schedule(() -> expire(ctx), deadlineNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void expire(ChannelHandlerContext ctx) {
    timer = null;
    if (ctx.channel().isActive()) {
      ctx.fireUserEventTriggered(EXPIRED);
    }
  }

  private void cancel() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }
}
