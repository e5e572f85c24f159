package io.couponflow.gateway.http;

import io.couponflow.gateway.coupon.MetadataUnavailableException;
import io.couponflow.gateway.redeem.RedemptionService;
import io.couponflow.lua.LiveCoupon;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.RedisReplies;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.RedemptionId;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.AsciiString;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API: routes each request, asks the {@link RedemptionService}, and maps every outcome to HTTP
 * in one place ({@link #answer}).
 *
 * <p>One instance per connection, because it keeps the connection's order: requests pipelined on
 * one connection are processed one after another and answered in the order they came (at most
 * {@value #MAX_PIPELINED} may wait; a client sending more is cut off). Everything runs on the
 * connection's event loop except the service calls, whose completions are handed back to it.
 *
 * <p>Admission: a request that passed validation takes a permit from {@link InFlight}, held until
 * its answer is written; without one it is answered 503 with {@code Retry-After}. Validation
 * failures are answered at once and take none.
 */
final class ApiHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
  static final int MAX_PIPELINED = 32;
  private static final AsciiString IDEMPOTENCY_KEY = AsciiString.cached("idempotency-key");
  private static final AsciiString IDEMPOTENT_REPLAYED = AsciiString.cached("idempotent-replayed");
  private static final AsciiString TRUE = AsciiString.cached("true");
  private static final AsciiString ONE_SECOND = AsciiString.cached("1");
  private static final AsciiString JSON = AsciiString.cached("application/json");
  private static final Pattern COUPON_ID = Pattern.compile("[1-9][0-9]{0,18}");

  private final RedemptionService service;
  private final HttpMetrics metrics;
  private final InFlight inFlight;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private final ChannelFutureListener releasePermit;
  private boolean busy;
  private boolean head;
  private boolean timedOut;

  ApiHandler(RedemptionService service, HttpMetrics metrics, InFlight inFlight) {
    this.service = service;
    this.metrics = metrics;
    this.inFlight = inFlight;
    this.releasePermit = f -> inFlight.release();
  }

  /** What a request came to: the response, and the outcome for the metrics. */
  private record Answer(FullHttpResponse response, HttpMetrics.Success success, ApiError error) {}

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (timedOut) {
      request.release();
      return;
    }
    if (busy) {
      if (waiting.size() >= MAX_PIPELINED) {
        request.release();
        ctx.close();
        return;
      }
      waiting.add(request);
      return;
    }
    handle(ctx, request);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (!busy) {
        ctx.close();
      }
    } else if (evt == DeadlineRequestDecoder.EXPIRED) {
      timedOut = true;
      if (!busy) {
        answerTimeout(ctx);
      }
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    FullHttpRequest r;
    while ((r = waiting.poll()) != null) {
      r.release();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("Closing connection after {}", cause.toString());
    ctx.close();
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
    busy = true;
    head = HttpMethod.HEAD.equals(request.method());
    long start = System.nanoTime();
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    Route route = Route.MALFORMED;
    Answer now = null;
    CompletableFuture<Answer> later = null;
    try {
      DecoderResult decoded = request.decoderResult();
      if (decoded.isFailure()) {
        keepAlive = false;
        now = decoderFailure(ctx, decoded.cause());
      } else if (request.protocolVersion().majorVersion() != 1
          || request.protocolVersion().minorVersion() > 1) {
        keepAlive = false;
        now = error(ctx, ApiError.INVALID_REQUEST, "only HTTP/1.0 and HTTP/1.1 are spoken here");
      } else {
        Route.Match match = Route.match(pathOf(request.uri()));
        route = match.route();
        if (inFlight.isDraining()) {
          keepAlive = false;
          now = unavailable(ctx, "the gateway is shutting down; retry on another");
        } else {
          Supplier<CompletableFuture<Answer>> call = validate(ctx, request, match);
          if (!inFlight.tryAcquire()) {
            now = unavailable(ctx, "too many requests in flight; retry shortly");
          } else {
            later = start(call);
          }
        }
      }
    } catch (ApiException e) {
      now = error(ctx, e.error(), e.getMessage());
      if (e.error() == ApiError.METHOD_NOT_ALLOWED) {
        now.response().headers().set(HttpHeaderNames.ALLOW, route.method().name());
      }
    } finally {
      request.release();
    }
    if (now != null) {
      finish(ctx, route, keepAlive, start, now, false);
      return;
    }
    Route r = route;
    boolean k = keepAlive;
    later.whenComplete(
        (answer, failure) -> {
          if (ctx.executor().inEventLoop()) {
            finish(ctx, r, k, start, answer != null ? answer : failure(ctx, failure), true);
          } else {
            ctx.executor()
                .execute(
                    () ->
                        finish(
                            ctx,
                            r,
                            k,
                            start,
                            answer != null ? answer : failure(ctx, failure),
                            true));
          }
        });
  }

  private static CompletableFuture<Answer> start(Supplier<CompletableFuture<Answer>> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private void finish(
      ChannelHandlerContext ctx,
      Route route,
      boolean keepAlive,
      long start,
      Answer answer,
      boolean permit) {
    long nanos = System.nanoTime() - start;
    if (answer.error() != null) {
      metrics.recordError(route, answer.error(), nanos);
    } else {
      metrics.recordSuccess(route, answer.success(), answer.response().status().code(), nanos);
    }
    FullHttpResponse response = answer.response();
    if (head) {
      int length = response.content().readableBytes();
      response = response.replace(Unpooled.EMPTY_BUFFER);
      answer.response().release();
      HttpUtil.setContentLength(response, length);
    }
    write(ctx, response, keepAlive && !timedOut, permit);
    busy = false;
    head = false;
    FullHttpRequest next = waiting.poll();
    if (next != null) {
      handle(ctx, next);
    } else if (timedOut) {
      answerTimeout(ctx);
    }
  }

  private void answerTimeout(ChannelHandlerContext ctx) {
    Answer answer =
        error(ctx, ApiError.REQUEST_TIMEOUT, "the request was not received whole in time");
    metrics.recordError(Route.MALFORMED, ApiError.REQUEST_TIMEOUT, 0);
    write(ctx, answer.response(), false, false);
  }

  private void write(
      ChannelHandlerContext ctx, FullHttpResponse response, boolean keepAlive, boolean permit) {
    if (!ctx.channel().isActive()) {
      response.release();
      if (permit) {
        inFlight.release();
      }
      return;
    }
    if (!head) {
      HttpUtil.setContentLength(response, response.content().readableBytes());
    }
    response
        .headers()
        .set(
            HttpHeaderNames.CONNECTION,
            keepAlive ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    if (keepAlive && !permit) {
      ctx.writeAndFlush(response, ctx.voidPromise());
      return;
    }
    ChannelFuture written = ctx.writeAndFlush(response);
    if (permit) {
      written.addListener(releasePermit);
    }
    if (!keepAlive) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  private static String pathOf(String uri) {
    int query = uri.indexOf('?');
    return query < 0 ? uri : uri.substring(0, query);
  }

  /** Checks everything that can be checked locally; returns the service call to make. */
  private Supplier<CompletableFuture<Answer>> validate(
      ChannelHandlerContext ctx, FullHttpRequest request, Route.Match match) throws ApiException {
    Route route = match.route();
    if (route == Route.UNMATCHED) {
      throw new ApiException(ApiError.NOT_FOUND, "no such resource");
    }
    if (!request.method().equals(route.method())) {
      throw new ApiException(
          ApiError.METHOD_NOT_ALLOWED,
          "method " + printable(request.method().name()) + " is not allowed here");
    }
    return switch (route) {
      case REDEEM -> redeem(ctx, request);
      case REVERSE -> reverse(ctx, request, match.parameter());
      case GET_REDEMPTION -> getRedemption(ctx, match.parameter());
      case GET_COUPON -> getCoupon(ctx, match.parameter());
      case UNMATCHED, MALFORMED -> throw new IllegalStateException("not a route: " + route);
    };
  }

  private Supplier<CompletableFuture<Answer>> redeem(
      ChannelHandlerContext ctx, FullHttpRequest request) throws ApiException {
    requireJson(request.headers());
    String key = idempotencyKey(request.headers());
    RedeemRequest redeem =
        ApiJson.parseRedeem(ByteBufUtil.getBytes(request.content())).withKey(key);
    return () -> service.redeem(redeem).thenApply(outcome -> answer(ctx, outcome));
  }

  private static String idempotencyKey(HttpHeaders headers) throws ApiException {
    List<String> keys = headers.getAll(IDEMPOTENCY_KEY);
    if (keys.isEmpty()) {
      throw new ApiException(ApiError.INVALID_REQUEST, "the Idempotency-Key header is required");
    }
    if (keys.size() > 1) {
      throw new ApiException(
          ApiError.INVALID_REQUEST, "the Idempotency-Key header must appear once");
    }
    String key = keys.get(0);
    if (!RedeemRequest.isIdempotencyKey(key)) {
      throw new ApiException(
          ApiError.INVALID_REQUEST,
          "Idempotency-Key: must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    return key;
  }

  private Supplier<CompletableFuture<Answer>> reverse(
      ChannelHandlerContext ctx, FullHttpRequest request, String rawId) throws ApiException {
    byte[] body = ByteBufUtil.getBytes(request.content());
    if (body.length > 0) {
      requireJson(request.headers());
    }
    String reason = ApiJson.parseReversal(body);
    RedemptionId id = redemptionId(rawId);
    return () ->
        service
            .reverse(id, reason)
            .thenApply(
                outcome -> {
                  if (outcome instanceof ReverseOutcome.Reversed r) {
                    return ok(ctx, ApiJson.redemption(ctx.alloc(), r.redemption()));
                  }
                  if (outcome instanceof ReverseOutcome.Fenced) {
                    return fenced(ctx);
                  }
                  return redemptionNotFound(ctx, rawId);
                });
  }

  private Supplier<CompletableFuture<Answer>> getRedemption(ChannelHandlerContext ctx, String rawId)
      throws ApiException {
    RedemptionId id = redemptionId(rawId);
    return () ->
        service
            .get(id)
            .thenApply(
                lookup -> {
                  if (lookup instanceof RedemptionLookup.Found found) {
                    return ok(ctx, ApiJson.redemption(ctx.alloc(), found.redemption()));
                  }
                  if (lookup instanceof RedemptionLookup.Fenced) {
                    return fenced(ctx);
                  }
                  return redemptionNotFound(ctx, rawId);
                });
  }

  private Supplier<CompletableFuture<Answer>> getCoupon(ChannelHandlerContext ctx, String rawId)
      throws ApiException {
    long couponId = couponId(rawId);
    return () ->
        service.coupon(couponId).thenApply((Optional<LiveCoupon> c) -> couponAnswer(ctx, c));
  }

  private static Answer couponAnswer(ChannelHandlerContext ctx, Optional<LiveCoupon> coupon) {
    if (coupon.isEmpty()) {
      return error(ctx, ApiError.COUPON_NOT_FOUND, "no such coupon");
    }
    return ok(ctx, ApiJson.coupon(ctx.alloc(), coupon.get()));
  }

  /** The one mapping of a redemption outcome to HTTP. */
  private static Answer answer(ChannelHandlerContext ctx, RedeemOutcome outcome) {
    if (outcome instanceof RedeemOutcome.Accepted a) {
      return new Answer(
          json(HttpResponseStatus.CREATED, ApiJson.redemption(ctx.alloc(), a.redemption())),
          HttpMetrics.Success.ACCEPTED,
          null);
    }
    if (outcome instanceof RedeemOutcome.Replayed r) {
      FullHttpResponse response =
          json(HttpResponseStatus.CREATED, ApiJson.redemption(ctx.alloc(), r.redemption()));
      response.headers().set(IDEMPOTENT_REPLAYED, TRUE);
      return new Answer(response, HttpMetrics.Success.REPLAYED, null);
    }
    if (outcome instanceof RedeemOutcome.Fenced) {
      return fenced(ctx);
    }
    return switch (((RedeemOutcome.Rejected) outcome).rejection()) {
      case COUPON_NOT_FOUND -> error(ctx, ApiError.COUPON_NOT_FOUND, "no such coupon");
      case COUPON_NOT_ACTIVE ->
          error(
              ctx,
              ApiError.COUPON_NOT_ACTIVE,
              "the coupon is paused or outside its redemption window");
      case SOLD_OUT -> error(ctx, ApiError.SOLD_OUT, "the coupon has no stock left");
      case USER_LIMIT_REACHED ->
          error(
              ctx,
              ApiError.USER_LIMIT_REACHED,
              "this user holds the most redemptions of this coupon allowed");
      case ORDER_ALREADY_REDEEMED ->
          error(
              ctx,
              ApiError.ORDER_ALREADY_REDEEMED,
              "this order already holds a redemption of this coupon");
      case ORDER_BELOW_THRESHOLD ->
          error(
              ctx,
              ApiError.ORDER_BELOW_THRESHOLD,
              "the order amount is below the coupon's threshold");
      case IDEMPOTENCY_KEY_REUSED ->
          error(
              ctx,
              ApiError.IDEMPOTENCY_KEY_REUSED,
              "this Idempotency-Key was used with different parameters");
    };
  }

  private static RedemptionId redemptionId(String raw) throws ApiException {
    Optional<RedemptionId> id = RedemptionId.parse(raw);
    if (id.isEmpty()) {
      throw new ApiException(ApiError.REDEMPTION_NOT_FOUND, "no redemption " + printable(raw));
    }
    return id.get();
  }

  private static long couponId(String raw) throws ApiException {
    if (COUPON_ID.matcher(raw).matches()) {
      try {
        return Long.parseLong(raw);
      } catch (NumberFormatException e) {
        // beyond 2^63-1: no such coupon
      }
    }
    throw new ApiException(ApiError.COUPON_NOT_FOUND, "no coupon " + printable(raw));
  }

  private static void requireJson(HttpHeaders headers) throws ApiException {
    List<String> types = headers.getAll(HttpHeaderNames.CONTENT_TYPE);
    if (types.size() != 1) {
      throw new ApiException(
          ApiError.UNSUPPORTED_MEDIA_TYPE, "one Content-Type: application/json is required");
    }
    String type = types.get(0);
    int semicolon = type.indexOf(';');
    String mediaType = (semicolon < 0 ? type : type.substring(0, semicolon)).trim();
    if (!mediaType.equalsIgnoreCase("application/json")) {
      throw new ApiException(
          ApiError.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
    }
    if (semicolon < 0) {
      return;
    }
    for (String param : type.substring(semicolon + 1).split(";")) {
      String p = param.trim();
      int eq = p.indexOf('=');
      if (eq < 0) {
        if (!p.isEmpty()) {
          throw new ApiException(
              ApiError.UNSUPPORTED_MEDIA_TYPE, "Content-Type has a malformed parameter");
        }
        continue;
      }
      if (p.substring(0, eq).trim().equalsIgnoreCase("charset")) {
        String charset = p.substring(eq + 1).trim();
        if (!charset.equalsIgnoreCase("utf-8") && !charset.equalsIgnoreCase("\"utf-8\"")) {
          throw new ApiException(ApiError.UNSUPPORTED_MEDIA_TYPE, "the body must be UTF-8");
        }
      }
    }
  }

  private static Answer redemptionNotFound(ChannelHandlerContext ctx, String rawId) {
    return error(ctx, ApiError.REDEMPTION_NOT_FOUND, "no redemption " + printable(rawId));
  }

  private static Answer decoderFailure(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return error(ctx, ApiError.URI_TOO_LONG, "the request line is too long");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return error(ctx, ApiError.HEADERS_TOO_LARGE, "the request headers are too large");
    }
    if (cause instanceof TooLongFrameException) {
      return error(ctx, ApiError.PAYLOAD_TOO_LARGE, "the request is too large");
    }
    return error(ctx, ApiError.INVALID_REQUEST, "malformed HTTP request");
  }

  private static Answer failure(ChannelHandlerContext ctx, Throwable failure) {
    RuntimeException cause = RedisReplies.map(failure);
    if (cause instanceof RedisReplies.RedisUnavailableException) {
      return unavailable(ctx, "redemptions cannot be decided right now; retry shortly");
    }
    if (cause instanceof CallNotPermittedException) {
      return unavailable(ctx, "Redis is failing; retry shortly");
    }
    if (cause instanceof MetadataUnavailableException) {
      return unavailable(ctx, "the coupon's definition cannot be read right now; retry shortly");
    }
    log.error("Request failed", cause);
    return error(ctx, ApiError.INTERNAL, "the service could not decide; retry shortly");
  }

  /** The coupon's state in Redis is being repaired after Redis lost writes: retry shortly. */
  private static Answer fenced(ChannelHandlerContext ctx) {
    return unavailable(
        ctx, "the coupon is being repaired after a Redis restart or failover; retry shortly");
  }

  private static Answer unavailable(ChannelHandlerContext ctx, String message) {
    Answer answer = error(ctx, ApiError.UNAVAILABLE, message);
    answer.response().headers().set(HttpHeaderNames.RETRY_AFTER, ONE_SECOND);
    return answer;
  }

  private static Answer error(ChannelHandlerContext ctx, ApiError error, String message) {
    return new Answer(errorResponse(ctx, error, message), null, error);
  }

  /** A JSON error response on its own, for handlers in front of this one. */
  static FullHttpResponse errorResponse(ChannelHandlerContext ctx, ApiError error, String message) {
    return json(error.status(), ApiJson.error(ctx.alloc(), error, message));
  }

  private static Answer ok(ChannelHandlerContext ctx, ByteBuf body) {
    return new Answer(json(HttpResponseStatus.OK, body), HttpMetrics.Success.OK, null);
  }

  private static FullHttpResponse json(HttpResponseStatus status, ByteBuf body) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON);
    return response;
  }

  /** Text safe to echo in an error message: printable ASCII, at most 100 characters. */
  private static String printable(String raw) {
    StringBuilder b = new StringBuilder(Math.min(raw.length(), 100));
    for (int i = 0; i < raw.length() && b.length() < 100; i++) {
      char c = raw.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }
}
