package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A client that writes requests as fast as it can and never reads an answer. The requests are the
 * kind the gateway answers locally (404 and 400), which no Redis round trip slows down. The gateway
 * must pause the connection (stop reading it, so the client's writes block), hold bounded heap and
 * Netty direct memory meanwhile, go on serving other clients, and cut the connection once it has
 * been idle for the idle timeout.
 */
class SlowReaderIT {
  /**
   * What the client may write before the test calls the gateway unbounded (the issue saw 8.4 MB in
   * 3.3 s).
   */
  private static final long BUDGET = 16L << 20;

  private static final long MIB = 1 << 20;
  private static final String NOT_FOUND = "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n";
  private static final String BAD_REQUEST =
      "POST /v1/redemptions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
          + "Content-Length: 2\r\n\r\n{}";
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    fx = GatewayFixture.start(SlowReaderIT.class, Map.of("COUPON_HTTP_IDLE_TIMEOUT", "3s"));
    fx.createCoupon(1, 100, 100, 0, 100);
    assertThat(fx.get("/v1/coupons/1").statusCode()).isEqualTo(200);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  @Test
  void clientThatNeverReads_isPausedWithBoundedMemory_othersAreServed_thenItIsCut()
      throws Exception {
    long heapBefore = liveHeap();
    double directBefore = metric(directMemory());
    double cutsBefore = metric(cuts("unread_answers"));
    byte[] chunk = (NOT_FOUND + BAD_REQUEST).repeat(500).getBytes(StandardCharsets.ISO_8859_1);

    try (SocketChannel client = SocketChannel.open()) {
      client.setOption(StandardSocketOptions.SO_RCVBUF, 16 * 1024);
      client.setOption(StandardSocketOptions.SO_SNDBUF, 16 * 1024);
      client.connect(new InetSocketAddress("127.0.0.1", fx.port()));
      client.configureBlocking(false);

      // Write until the gateway stops taking bytes for a whole second, or the budget is spent.
      ByteBuffer out = ByteBuffer.wrap(chunk);
      long written = 0;
      long lastProgress = System.nanoTime();
      while (written < BUDGET && System.nanoTime() - lastProgress < 1_000_000_000L) {
        if (!out.hasRemaining()) {
          out.rewind();
        }
        int n = client.write(out);
        if (n > 0) {
          written += n;
          lastProgress = System.nanoTime();
        } else {
          Thread.sleep(5);
        }
      }
      double answered = answeredLocally();
      Thread.sleep(500);
      double answeredLater = answeredLocally();

      int coupon = fx.get("/v1/coupons/1").statusCode();
      int redeemed = fx.redeem("other-1", 1, "u-other", "o-other", 1_000).statusCode();
      long heapPaused = liveHeap();
      double directPaused = metric(directMemory());

      System.out.printf(
          "slow reader: wrote %,d bytes (%,d requests) until its writes blocked; the gateway"
              + " answered %,.0f requests locally; live heap %,d -> %,d KiB; Netty direct %,.0f ->"
              + " %,.0f KiB%n",
          written,
          written / ((NOT_FOUND.length() + BAD_REQUEST.length()) / 2),
          answered,
          heapBefore >> 10,
          heapPaused >> 10,
          directBefore / 1024,
          directPaused / 1024);
      assertThat(written).as("the client's writes blocked: reading was paused").isLessThan(BUDGET);
      assertThat(answeredLater).as("nothing more is processed while paused").isEqualTo(answered);
      assertThat(coupon).isEqualTo(200);
      assertThat(redeemed).isEqualTo(201);
      assertThat(heapPaused - heapBefore).isLessThan(16 * MIB);
      assertThat(directPaused - directBefore).isLessThan(16 * MIB);

      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> metric(cuts("unread_answers")) == cutsBefore + 1);
      ByteBuffer in = ByteBuffer.allocate(64 * 1024);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                try {
                  in.clear();
                  return client.read(in) < 0;
                } catch (IOException reset) {
                  return true;
                }
              });
    }
  }

  /** Requests answered without Redis so far: every 404 NOT_FOUND and 400 on the redeem route. */
  private static double answeredLocally() {
    String metrics = fx.metrics();
    return sum(metrics, "route=\"unmatched\",status=\"404\"")
        + sum(metrics, "route=\"redeem\",status=\"400\"");
  }

  private static double sum(String metrics, String tags) {
    Matcher m =
        Pattern.compile(
                "couponflow_http_requests_seconds_count\\{outcome=\"[A-Z_]+\","
                    + Pattern.quote(tags)
                    + "\\} (\\S+)")
            .matcher(metrics);
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return total;
  }

  private static Pattern directMemory() {
    return Pattern.compile(
        "netty_allocator_memory_used\\{[^}]*allocator_type=\"PooledByteBufAllocator\""
            + "[^}]*memory_type=\"direct\"[^}]*\\} (\\S+)");
  }

  private static Pattern cuts(String reason) {
    return Pattern.compile(
        "couponflow_http_connections_cut_total\\{reason=\"" + reason + "\"\\} (\\S+)");
  }

  private static double metric(Pattern p) {
    Matcher m = p.matcher(fx.metrics());
    assertThat(m.find()).as("metric " + p).isTrue();
    return Double.parseDouble(m.group(1));
  }

  /** Heap in use after a full collection (the gateway runs in this JVM). */
  private static long liveHeap() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
