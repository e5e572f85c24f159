package io.couponflow.gateway.resilience;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on a loopback port in front of one server, that can reset every connection through it
 * at once: {@link #reset} holds the server's replies for a moment (so commands are in flight), then
 * closes both sides with {@code SO_LINGER 0}, which sends the client a TCP RST ("Connection reset
 * by peer"). New connections are proxied as before.
 *
 * <p>Thread-safety: {@link #reset} and {@link #close} may be called from any thread.
 */
final class ResettingProxy implements AutoCloseable {
  private final ServerSocket server;
  private final InetSocketAddress target;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean holding;
  private volatile boolean closed;

  ResettingProxy(int targetPort) {
    try {
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
    Thread acceptor = new Thread(this::accept, "resetting-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String uri() {
    return "redis://127.0.0.1:" + server.getLocalPort();
  }

  /** Holds the replies for {@code holdMillis}, then resets every connection; returns how many. */
  int reset(long holdMillis) throws InterruptedException {
    holding = true;
    try {
      Thread.sleep(holdMillis);
      int n = 0;
      for (Socket s : sockets) {
        try {
          s.setSoLinger(true, 0);
        } catch (IOException e) {
          // closing anyway
        }
        close(s);
        n++;
      }
      return n;
    } finally {
      holding = false;
    }
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket upstream = new Socket();
        try {
          upstream.connect(target, 2_000);
        } catch (IOException e) {
          close(client);
          continue;
        }
        client.setTcpNoDelay(true);
        upstream.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(upstream);
        pump(client, upstream, false);
        pump(upstream, client, true);
      } catch (IOException e) {
        if (!closed) {
          throw new UncheckedIOException(e);
        }
      }
    }
  }

  private void pump(Socket from, Socket to, boolean replies) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                  while (replies && holding && !from.isClosed()) {
                    Thread.sleep(1);
                  }
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException | InterruptedException e) {
                // the connection ended
              } finally {
                close(from);
                close(to);
              }
            },
            "resetting-proxy-pump");
    t.setDaemon(true);
    t.start();
  }

  private void close(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // closed anyway
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closed anyway
    }
    for (Socket s : sockets) {
      close(s);
    }
  }
}
