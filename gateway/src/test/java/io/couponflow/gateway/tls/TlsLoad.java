package io.couponflow.gateway.tls;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A measurement, not a test: S1-shaped load on a running gateway ({@code POST /v1/redemptions},
 * every key, user and order new), plain or over TLS with a client certificate, on Netty's epoll
 * transport with OpenSSL, one event loop. {@code keepalive}: each connection sends its next request
 * when the answer to the last arrives. {@code handshake}: each request on a new connection, with
 * {@code Connection: close}, and a full handshake each (no session is resumed); {@code resume}: the
 * same, resuming the TLS session where the server lets it.
 *
 * <pre>
 * java -Dpids=PLAIN_PID,TLS_PID -cp ... io.couponflow.gateway.tls.TlsLoad
 *     keepalive|handshake|resume CONNECTIONS SECONDS ROUNDS COUPON TAG PLAIN_PORT TLS_PORT
 *     CLIENT_CERT CLIENT_KEY SERVER_CA
 * </pre>
 *
 * Runs a warm-up round, then ROUNDS rounds, each SECONDS against the plain gateway (skipped when
 * PLAIN_PORT is 0) then as long against the mTLS one, so that both see the same machine; prints
 * each run's answered/s, 201s, failures, mean latency and the gateway's CPU time per request (from
 * {@code /proc/PID/stat}), then the medians and their ratio.
 */
public final class TlsLoad {
  private final boolean keepAlive;
  private final int port;
  private final long coupon;
  private final String tag;
  private final SslContext tls;
  private final Bootstrap bootstrap;
  private final AtomicLong sequence = new AtomicLong();
  private final AtomicLong answered = new AtomicLong();
  private final AtomicLong created = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong latencyNanos = new AtomicLong();
  private volatile boolean running = true;

  private TlsLoad(
      boolean keepAlive,
      boolean peerHost,
      int port,
      long coupon,
      String tag,
      SslContext tls,
      EventLoopGroup group) {
    this.keepAlive = keepAlive;
    this.port = port;
    this.coupon = coupon;
    this.tag = tag;
    this.tls = tls;
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(EpollSocketChannel.class)
            .option(ChannelOption.TCP_NODELAY, true)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    if (TlsLoad.this.tls != null) {
                      ch.pipeline()
                          .addLast(
                              peerHost
                                  ? TlsLoad.this.tls.newHandler(ch.alloc(), "127.0.0.1", port)
                                  : TlsLoad.this.tls.newHandler(ch.alloc()));
                    }
                    ch.pipeline()
                        .addLast(new HttpResponseDecoder())
                        .addLast(new HttpObjectAggregator(16 * 1024))
                        .addLast(new Answers());
                  }
                });
  }

  /** What one run came to. */
  private record Result(double perSecond, long created, long failed, double meanMs, double cpuUs) {}

  public static void main(String[] args) throws Exception {
    String shape = args[0];
    boolean keepAlive = shape.equals("keepalive");
    boolean resume = shape.equals("resume");
    int connections = Integer.parseInt(args[1]);
    int seconds = Integer.parseInt(args[2]);
    int rounds = Integer.parseInt(args[3]);
    long coupon = Long.parseLong(args[4]);
    String tag = args[5];
    int plainPort = Integer.parseInt(args[6]);
    int tlsPort = Integer.parseInt(args[7]);
    SslContext tls =
        SslContextBuilder.forClient()
            .sslProvider(SslProvider.OPENSSL)
            .keyManager(new File(args[8]), new File(args[9]))
            .trustManager(new File(args[10]))
            // without a peer host (below) no session can be resumed: every handshake is full
            .endpointIdentificationAlgorithm(keepAlive || resume ? "HTTPS" : null)
            .build();
    String[] pids = System.getProperty("pids", ",").split(",", -1);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      List<Double> plainRates = new ArrayList<>();
      List<Double> tlsRates = new ArrayList<>();
      List<Double> plainCpu = new ArrayList<>();
      List<Double> tlsCpu = new ArrayList<>();
      for (int round = 0; round <= rounds; round++) {
        String label = round == 0 ? "warm-up" : "round " + round;
        if (plainPort > 0) {
          TlsLoad load =
              new TlsLoad(keepAlive, false, plainPort, coupon, tag + round + "p", null, group);
          Result r = load.run(connections, seconds, pids[0]);
          print(label, shape, "plain", r);
          if (round > 0) {
            plainRates.add(r.perSecond());
            plainCpu.add(r.cpuUs());
          }
        }
        TlsLoad load =
            new TlsLoad(
                keepAlive, keepAlive || resume, tlsPort, coupon, tag + round + "t", tls, group);
        Result r = load.run(connections, seconds, pids.length > 1 ? pids[1] : "");
        print(label, shape, "mTLS", r);
        if (round > 0) {
          tlsRates.add(r.perSecond());
          tlsCpu.add(r.cpuUs());
        }
      }
      if (plainPort > 0) {
        System.out.printf(
            "median: plain %.0f/s, mTLS %.0f/s: mTLS/plain %.2f; gateway CPU per request: plain"
                + " %.0f us, mTLS %.0f us%n",
            median(plainRates),
            median(tlsRates),
            median(tlsRates) / median(plainRates),
            median(plainCpu),
            median(tlsCpu));
      } else {
        System.out.printf(
            "median: mTLS %.0f/s; gateway CPU per request %.0f us%n",
            median(tlsRates), median(tlsCpu));
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  private static void print(String label, String shape, String mode, Result r) {
    System.out.printf(
        "%s %s %s: %.0f answered/s (%d 201s), %d failed, mean %.2f ms, gateway CPU %.0f us per"
            + " request%n",
        label, shape, mode, r.perSecond(), r.created(), r.failed(), r.meanMs(), r.cpuUs());
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int n = sorted.size();
    return n == 0
        ? 0
        : n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
  }

  /** CPU time (user + system) a process has used, in microseconds; 0 when unknown. */
  private static long cpuMicros(String pid) {
    if (pid.isEmpty()) {
      return 0;
    }
    try {
      String stat = Files.readString(Path.of("/proc", pid, "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10_000L;
    } catch (IOException e) {
      return 0;
    }
  }

  private Result run(int connections, int seconds, String pid) throws InterruptedException {
    long cpu = cpuMicros(pid);
    for (int i = 0; i < connections; i++) {
      open();
    }
    long start = System.nanoTime();
    Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
    running = false;
    double elapsed = (System.nanoTime() - start) / 1e9;
    long used = cpuMicros(pid) - cpu;
    long n = answered.get();
    Thread.sleep(300);
    return new Result(
        n / elapsed,
        created.get(),
        failed.get(),
        n == 0 ? 0 : latencyNanos.get() / 1e6 / n,
        n == 0 ? 0 : (double) used / n);
  }

  private void open() {
    bootstrap
        .connect("127.0.0.1", port)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                failed.incrementAndGet();
                if (running) {
                  open();
                }
              }
            });
  }

  private ByteBuf request() {
    String id = tag + "-" + sequence.getAndIncrement();
    String body =
        "{\"couponId\":"
            + coupon
            + ",\"userId\":\"u-"
            + id
            + "\",\"orderId\":\"o-"
            + id
            + "\",\"orderAmountCents\":35000}";
    return Unpooled.wrappedBuffer(
        ("POST /v1/redemptions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Idempotency-Key: k-"
                + id
                + (keepAlive ? "" : "\r\nConnection: close")
                + "\r\nContent-Length: "
                + body.length()
                + "\r\n\r\n"
                + body)
            .getBytes(StandardCharsets.US_ASCII));
  }

  /** Sends a request when the connection is up and after each answer (keep-alive). */
  private final class Answers extends SimpleChannelInboundHandler<FullHttpResponse> {
    private long sentAt;

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      if (tls == null) {
        send(ctx);
      }
      super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent done) {
        if (done.isSuccess()) {
          send(ctx);
        } else if (failed.incrementAndGet() == 1) {
          System.err.println("first failure: " + done.cause());
        }
      }
      super.userEventTriggered(ctx, evt);
    }

    private void send(ChannelHandlerContext ctx) {
      sentAt = System.nanoTime();
      ctx.writeAndFlush(request());
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      latencyNanos.addAndGet(System.nanoTime() - sentAt);
      answered.incrementAndGet();
      if (response.status().code() == 201) {
        created.incrementAndGet();
      } else if (failed.incrementAndGet() == 1) {
        System.err.println(
            "first failure: "
                + response.status()
                + " "
                + response.content().toString(StandardCharsets.UTF_8));
      }
      if (!running) {
        ctx.close();
      } else if (keepAlive) {
        send(ctx);
      } else {
        ctx.close();
        open();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (failed.incrementAndGet() == 1) {
        System.err.println("first failure: " + cause);
      }
      ctx.close();
      if (running && keepAlive) {
        open();
      }
    }
  }
}
