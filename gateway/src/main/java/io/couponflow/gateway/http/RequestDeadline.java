package io.couponflow.gateway.http;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A whole-request deadline against slow-drip clients: once the first byte of a request arrives, the
 * complete request must follow within the deadline, however steadily the bytes trickle in (an idle
 * timeout alone never fires on such a client). Sits in front of the HTTP codec; the API handler
 * reports {@link #COMPLETE} when a whole request has arrived, and this handler fires {@link
 * #EXPIRED} when one did not in time.
 */
final class RequestDeadline extends ChannelDuplexHandler {
  static final Object COMPLETE = new Object();
  static final Object EXPIRED = new Object();

  private final long deadlineNanos;
  private ScheduledFuture<?> timer;

  RequestDeadline(Duration deadline) {
    this.deadlineNanos = deadline.toNanos();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (timer == null) {
      timer = ctx.executor().schedule(() -> expire(ctx), deadlineNanos, TimeUnit.NANOSECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == COMPLETE) {
      cancel();
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    cancel();
    ctx.fireChannelInactive();
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
