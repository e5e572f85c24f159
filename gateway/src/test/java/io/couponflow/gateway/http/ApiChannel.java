package io.couponflow.gateway.http;

import io.couponflow.config.Env;
import io.couponflow.gateway.GatewayConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The API's whole pipeline ({@link ApiInitializer}: decoder, aggregator, sequencer, router,
 * encoder) on an {@link EmbeddedChannel}, in front of a {@link FakeRedemptions}: raw request bytes
 * in, raw response bytes out, on the test's thread. {@link #close} ends with {@code
 * finishAndReleaseAll()}.
 */
final class ApiChannel implements AutoCloseable {
  /** One response as it went out on the wire. */
  record Response(
      int status, String statusLine, Map<String, String> headers, String body, String raw) {
    /** A header by its lower-case name, or null. */
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  final FakeRedemptions service;
  final SimpleMeterRegistry registry;
  final InFlight inFlight;
  final EmbeddedChannel channel;
  private final ApiInitializer initializer;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private int read;

  ApiChannel() {
    this(Map.of(), 10_000);
  }

  ApiChannel(Map<String, String> env, int maxInFlight) {
    this(new FakeRedemptions(), new SimpleMeterRegistry(), new InFlight(maxInFlight), env);
  }

  private ApiChannel(
      FakeRedemptions service,
      SimpleMeterRegistry registry,
      InFlight inFlight,
      Map<String, String> env) {
    this(
        service,
        registry,
        inFlight,
        new ApiInitializer(
            GatewayConfig.from(Env.of(env)),
            service,
            new HttpMetrics(registry),
            inFlight,
            new DefaultChannelGroup(ImmediateEventExecutor.INSTANCE)));
  }

  private ApiChannel(
      FakeRedemptions service,
      SimpleMeterRegistry registry,
      InFlight inFlight,
      ApiInitializer initializer) {
    this.service = service;
    this.registry = registry;
    this.inFlight = inFlight;
    this.initializer = initializer;
    this.channel = new EmbeddedChannel(initializer);
  }

  /** A second connection to the same gateway: the same router, service, metrics and InFlight. */
  ApiChannel anotherConnection() {
    return new ApiChannel(service, registry, inFlight, initializer);
  }

  /** Writes bytes as if they came off the socket, and runs what they set off. */
  void send(byte[] bytes) {
    channel.writeInbound(Unpooled.wrappedBuffer(bytes));
    channel.runPendingTasks();
  }

  void send(String text) {
    send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** Sends one request and reads its one response. */
  Response exchange(byte[] request) {
    send(request);
    return read();
  }

  Response exchange(String request) {
    return exchange(request.getBytes(StandardCharsets.ISO_8859_1));
  }

  /** The next response, framed by its Content-Length. */
  Response read() {
    return read(false);
  }

  /** The next response to a HEAD request: no body follows its headers whatever they say. */
  Response readHead() {
    return read(true);
  }

  /** Every response written so far and not read yet. */
  List<Response> readAll() {
    List<Response> all = new ArrayList<>();
    while (available()) {
      all.add(read());
    }
    return all;
  }

  /** Whether bytes of another response were written. */
  boolean available() {
    drain();
    return read < out.size();
  }

  boolean isOpen() {
    return channel.isOpen();
  }

  private Response read(boolean head) {
    drain();
    byte[] bytes = out.toByteArray();
    int start = read;
    int end = indexOf(bytes, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), start);
    if (end < 0) {
      throw new IllegalStateException(
          "no whole response written; have: "
              + new String(bytes, start, bytes.length - start, StandardCharsets.ISO_8859_1));
    }
    String[] lines =
        new String(bytes, start, end - start, StandardCharsets.ISO_8859_1).split("\r\n");
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    int status = Integer.parseInt(lines[0].split(" ", 3)[1]);
    int length =
        head || status / 100 == 1
            ? 0
            : Integer.parseInt(headers.getOrDefault("content-length", "0"));
    int bodyStart = end + 4;
    if (bodyStart + length > bytes.length) {
      throw new IllegalStateException("body cut short");
    }
    read = bodyStart + length;
    return new Response(
        status,
        lines[0],
        headers,
        new String(bytes, bodyStart, length, StandardCharsets.UTF_8),
        new String(bytes, start, read - start, StandardCharsets.UTF_8));
  }

  private void drain() {
    channel.runPendingTasks();
    for (Object o = channel.readOutbound(); o != null; o = channel.readOutbound()) {
      ByteBuf buf = (ByteBuf) o;
      try {
        byte[] b = new byte[buf.readableBytes()];
        buf.readBytes(b);
        out.writeBytes(b);
      } finally {
        buf.release();
      }
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public void close() {
    channel.finishAndReleaseAll();
  }
}
