package io.couponflow.gateway.http;

import io.couponflow.gateway.security.Caller;
import io.couponflow.gateway.security.ClientRoles;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.AttributeKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Set;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who is on the other end of an API connection: {@link #CALLER}, set when the connection opens
 * (plain text, or TLS without client certificates: {@link Caller#ANYONE}) or when its TLS handshake
 * completes (mTLS: the caller the client certificate names, by {@link ClientRoles}). The router
 * reads it for every request; a connection without it is nobody, with no role.
 *
 * <p>Thread-safety: holds no per-channel state; one instance serves every connection, and removes
 * itself from each once the handshake is over.
 */
@ChannelHandler.Sharable
final class ClientIdentity extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ClientIdentity.class);

  /** The connection's caller; absent means nobody (no role). */
  static final AttributeKey<Caller> CALLER = AttributeKey.valueOf("couponflow.caller");

  private static final Caller NOBODY = new Caller("", Set.of());

  private final ClientRoles roles;
  private final HttpMetrics metrics;

  /**
   * @param roles the roles of client certificates; null when none are asked for
   */
  ClientIdentity(ClientRoles roles, HttpMetrics metrics) {
    this.roles = roles;
    this.metrics = metrics;
  }

  /** The caller of the connection's requests. */
  static Caller of(Channel channel) {
    Caller caller = channel.attr(CALLER).get();
    return caller == null ? NOBODY : caller;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (!(event instanceof SslHandshakeCompletionEvent done)) {
      super.userEventTriggered(ctx, event);
      return;
    }
    metrics.tlsHandshake(done.isSuccess());
    if (done.isSuccess()) {
      Caller caller = roles == null ? Caller.ANYONE : identify(ctx);
      ctx.channel().attr(CALLER).set(caller);
      log.debug("TLS handshake with {}: {}", ctx.channel().remoteAddress(), caller);
    } else {
      log.debug(
          "TLS handshake with {} failed: {}",
          ctx.channel().remoteAddress(),
          done.cause().toString());
    }
    super.userEventTriggered(ctx, event);
    if (ctx.pipeline().context(this) != null) {
      ctx.pipeline().remove(this);
    }
  }

  private Caller identify(ChannelHandlerContext ctx) {
    try {
      Certificate[] peer =
          ctx.pipeline().get(SslHandler.class).engine().getSession().getPeerCertificates();
      if (peer.length > 0 && peer[0] instanceof X509Certificate client) {
        return roles.callerOf(client);
      }
    } catch (SSLPeerUnverifiedException e) {
      // a client CA is configured, so the handshake cannot succeed without a certificate
    }
    return NOBODY;
  }
}
