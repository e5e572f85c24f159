package io.couponflow.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for what an HTTP client library will not send: pipelined requests,
 * malformed bytes, slow drips. Reads responses framed by Content-Length.
 */
public final class RawHttp implements AutoCloseable {
  /** One response as read off the wire. */
  public record Response(int status, Map<String, String> headers, String body) {
    /** A header by its lower-case name, or null. */
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;

  public RawHttp(int port, Duration readTimeout) {
    try {
      socket = new Socket();
      socket.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
      socket.setSoTimeout((int) readTimeout.toMillis());
      socket.setTcpNoDelay(true);
      in = socket.getInputStream();
      out = socket.getOutputStream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** HTTP over a socket already connected (a TLS one, say); closing this closes it. */
  public RawHttp(Socket connected) {
    try {
      socket = connected;
      in = connected.getInputStream();
      out = connected.getOutputStream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Sends one request and reads its response on a fresh connection. */
  public static Response exchange(int port, String request) {
    return exchange(port, request.getBytes(StandardCharsets.ISO_8859_1));
  }

  public static Response exchange(int port, byte[] request) {
    try (RawHttp http = new RawHttp(port, Duration.ofSeconds(10))) {
      http.send(request);
      return http.read();
    }
  }

  /** A request with the given headers (each a whole "Name: value" line) and body, as bytes. */
  public static byte[] request(String method, String path, List<String> headers, byte[] body) {
    StringBuilder b = new StringBuilder();
    b.append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: test\r\n");
    for (String h : headers) {
      b.append(h).append("\r\n");
    }
    if (body != null) {
      b.append("Content-Length: ").append(body.length).append("\r\n");
    }
    b.append("\r\n");
    byte[] head = b.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null) {
      return head;
    }
    byte[] all = new byte[head.length + body.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(body, 0, all, head.length, body.length);
    return all;
  }

  public void send(String text) {
    send(text.getBytes(StandardCharsets.ISO_8859_1));
  }

  public void send(byte[] bytes) {
    try {
      out.write(bytes);
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads one whole response. */
  public Response read() {
    return read(false);
  }

  /** Reads the response to a HEAD request: its headers, and no body whatever they say. */
  public Response readHead() {
    return read(true);
  }

  private Response read(boolean head) {
    try {
      String statusLine = line();
      if (statusLine == null) {
        throw new IllegalStateException("connection closed before a response");
      }
      String[] parts = statusLine.split(" ", 3);
      int status = Integer.parseInt(parts[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (String h = line(); h != null && !h.isEmpty(); h = line()) {
        int colon = h.indexOf(':');
        headers.put(
            h.substring(0, colon).trim().toLowerCase(Locale.ROOT), h.substring(colon + 1).trim());
      }
      int length = head ? 0 : Integer.parseInt(headers.getOrDefault("content-length", "0"));
      byte[] body = in.readNBytes(length);
      if (body.length < length) {
        throw new IllegalStateException("body cut short: " + body.length + " of " + length);
      }
      return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads {@code n} responses in a row. */
  public List<Response> read(int n) {
    List<Response> responses = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      responses.add(read());
    }
    return responses;
  }

  /** Whether the server closed the connection (end of stream) within the read timeout. */
  public boolean closedByServer() {
    try {
      return in.read() == -1;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private String line() throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
    return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException e) {
      // closing anyway
    }
  }
}
