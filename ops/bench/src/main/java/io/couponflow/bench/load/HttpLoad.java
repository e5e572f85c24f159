package io.couponflow.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.HdrHistogram.Histogram;

/**
 * The bench's HTTP load generator: keep-alive connections, one request at a time on each (no
 * pipelining), all driven by one Netty event loop so the generator takes as little of the machine
 * as it can.
 *
 * <p>Two shapes: a closed loop, where each connection sends its next request as soon as the answer
 * to the last one arrives (the peak throughput); and an open loop, where requests are due at a
 * fixed rate whatever the server does, and each request's latency is measured from the moment it
 * was due, not from when a free connection could send it, which corrects for coordinated omission.
 *
 * <p>Thread-safety: one run at a time; a run's state lives on the event loop.
 */
public final class HttpLoad implements AutoCloseable {
  private static final long HIGHEST_MICROS = TimeUnit.MINUTES.toMicros(2);

  private final String host;
  private final int port;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;

  public HttpLoad(String host, int port) {
    this.host = host;
    this.port = port;
    boolean epoll = Epoll.isAvailable();
    this.group =
        new MultiThreadIoEventLoopGroup(
            1, epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5_000);
  }

  /**
   * Sends requests on {@code connections} connections for {@code duration}, each connection's next
   * as soon as the last is answered; then waits for the answers in flight.
   */
  public LoadResult closedLoop(RedemptionRequests requests, int connections, Duration duration) {
    return run(new Run(requests, duration, 0), connections, duration);
  }

  /**
   * Makes requests due at {@code ratePerSecond} for {@code duration}, sending each on the first
   * free connection; then waits for every request that fell due.
   */
  public LoadResult openLoop(
      RedemptionRequests requests, int connections, double ratePerSecond, Duration duration) {
    if (!(ratePerSecond > 0)) {
      throw new IllegalArgumentException("ratePerSecond: " + ratePerSecond + " (expected: > 0)");
    }
    return run(new Run(requests, duration, ratePerSecond), connections, duration);
  }

  private LoadResult run(Run run, int connections, Duration duration) {
    if (connections < 1) {
      throw new IllegalArgumentException("connections: " + connections + " (expected: > 0)");
    }
    List<Channel> channels = new ArrayList<>(connections);
    try {
      for (int i = 0; i < connections; i++) {
        Connection connection = new Connection(run);
        Channel channel =
            bootstrap
                .clone()
                .handler(
                    new ChannelInitializer<SocketChannel>() {
                      @Override
                      protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpResponseDecoder()).addLast(connection);
                      }
                    })
                .connect(host, port)
                .syncUninterruptibly()
                .channel();
        connection.channel = channel;
        run.connections.add(connection);
        channels.add(channel);
      }
      EventLoop loop = channels.get(0).eventLoop();
      loop.execute(run::start);
      return run.result.get(duration.toMillis() + 60_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("load run failed: " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("load run did not finish within a minute of its end", e);
    } finally {
      for (Channel channel : channels) {
        channel.close().awaitUninterruptibly(2_000);
      }
    }
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** One run's state; touched only on the event loop. */
  private static final class Run {
    final RedemptionRequests requests;
    final long durationNanos;
    final double rate;
    final List<Connection> connections = new ArrayList<>();
    final ArrayDeque<Connection> idle = new ArrayDeque<>();
    final ArrayDeque<Long> due = new ArrayDeque<>();
    final Map<Integer, Long> statuses = new HashMap<>();
    final Histogram latency = new Histogram(HIGHEST_MICROS, 3);
    final Histogram generatorLag = new Histogram(HIGHEST_MICROS, 3);
    final CompletableFuture<LoadResult> result = new CompletableFuture<>();
    long start;
    long deadline;
    long scheduled;
    boolean schedulingDone;
    long failed;
    long lastAnswer;
    int finished;

    Run(RedemptionRequests requests, Duration duration, double rate) {
      this.requests = requests;
      this.durationNanos = duration.toNanos();
      this.rate = rate;
    }

    boolean open() {
      return rate > 0;
    }

    void start() {
      start = System.nanoTime();
      deadline = start + durationNanos;
      lastAnswer = start;
      if (open()) {
        idle.addAll(connections);
        tick();
      } else {
        for (Connection c : connections) {
          c.send(start);
        }
      }
    }

    /** Open loop: queue every request now due, hand them to free connections, wait for the next. */
    void tick() {
      long now = System.nanoTime();
      if (scheduled > 0) {
        long wanted = start + (long) (scheduled * 1e9 / rate);
        generatorLag.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, (now - wanted) / 1000)));
      }
      long next;
      while ((next = start + (long) (scheduled * 1e9 / rate)) <= now && next < deadline) {
        due.add(next);
        scheduled++;
      }
      dispatch();
      if (next < deadline) {
        connections
            .get(0)
            .channel
            .eventLoop()
            .schedule(this::tick, next - now, TimeUnit.NANOSECONDS);
      } else {
        schedulingDone = true;
        maybeDone();
      }
    }

    void dispatch() {
      while (!idle.isEmpty() && !due.isEmpty()) {
        idle.poll().send(due.poll());
      }
    }

    void answered(Connection c, int status, long intended) {
      long now = System.nanoTime();
      lastAnswer = now;
      statuses.merge(status, 1L, Long::sum);
      latency.recordValue(Math.min(HIGHEST_MICROS, Math.max(0, (now - intended) / 1000)));
      if (open()) {
        Long next = due.poll();
        if (next != null) {
          c.send(next);
        } else {
          idle.add(c);
          maybeDone();
        }
      } else if (now - deadline < 0) {
        c.send(now);
      } else {
        c.done = true;
        finished++;
        maybeDone();
      }
    }

    void lost(Connection c) {
      if (c.done) {
        return;
      }
      c.done = true;
      if (c.busy) {
        failed++;
      }
      finished++;
      idle.remove(c);
      maybeDone();
    }

    void maybeDone() {
      boolean done =
          open()
              ? schedulingDone
                  && due.isEmpty()
                  && connections.stream().noneMatch(c -> c.busy && !c.done)
              : finished == connections.size();
      if (!done && open() && finished == connections.size()) {
        failed += due.size();
        due.clear();
        done = schedulingDone;
      }
      if (done && !result.isDone()) {
        result.complete(
            new LoadResult(
                statuses, failed, Duration.ofNanos(lastAnswer - start), latency, generatorLag));
      }
    }
  }

  /** One connection of a run. */
  private static final class Connection extends ChannelInboundHandlerAdapter {
    final Run run;
    Channel channel;
    boolean busy;
    boolean done;
    long intended;
    int status;

    Connection(Run run) {
      this.run = run;
    }

    void send(long intendedNanos) {
      busy = true;
      intended = intendedNanos;
      channel.writeAndFlush(Unpooled.wrappedBuffer(run.requests.next()), channel.voidPromise());
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpResponse response) {
          status = response.status().code();
        }
        if (msg instanceof LastHttpContent && busy) {
          busy = false;
          run.answered(this, status, intended);
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      run.lost(this);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
