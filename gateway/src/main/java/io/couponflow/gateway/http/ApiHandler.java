package io.couponflow.gateway.http;

import io.couponflow.gateway.coupon.MetadataUnavailableException;
import io.couponflow.gateway.redeem.RedemptionService;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.lua.RedisReplies;
import io.couponflow.lua.ReverseOutcome;
import io.couponflow.model.RedemptionId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
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
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API: routes each request, answers from the {@link RedemptionService}, and maps every outcome
 * to HTTP in one place ({@link #answer}).
 *
 * <p>One instance per connection (it keeps the connection's pipeline order): requests pipelined on
 * one connection are processed one after another and answered in the order they came. Everything
 * runs on the connection's event loop except the service calls, whose completions are handed back
 * to it.
 */
final class ApiHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ApiHandler.class);
  private static final int MAX_PIPELINED = 32;
  private static final String REDEMPTIONS = "/v1/redemptions";
  private static final String COUPONS = "/v1/coupons/";

  private final RedemptionService service;
  private final HttpMetrics metrics;
  private final InFlight inFlight;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private boolean busy;

  ApiHandler(RedemptionService service, HttpMetrics metrics, InFlight inFlight) {
    this.service = service;
    this.metrics = metrics;
    this.inFlight = inFlight;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest request)) {
      ctx.fireChannelRead(msg);
      return;
    }
    ctx.pipeline().fireUserEventTriggered(RequestDeadline.COMPLETE);
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
      ctx.close();
    } else if (evt == RequestDeadline.EXPIRED) {
      reply(
          ctx,
          Call.of("timeout"),
          error(ctx, ApiError.REQUEST_TIMEOUT, "the request was not received in time"),
          false);
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

  /** What the handler keeps of a request once its buffers are released. */
  private record Call(String route, boolean keepAlive) {
    static Call of(String route) {
      return new Call(route, false);
    }
  }

  private void handle(ChannelHandlerContext ctx, FullHttpRequest request) {
    busy = true;
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    CompletableFuture<FullHttpResponse> response;
    String route;
    try {
      DecoderResult decoded = request.decoderResult();
      if (decoded.isFailure()) {
        route = "malformed";
        keepAlive = false;
        response = CompletableFuture.completedFuture(decoderFailure(ctx, decoded.cause()));
      } else {
        String path = pathOf(request.uri());
        route = routeOf(request.method(), path);
        response = route(ctx, request, path, route);
      }
    } catch (ApiException e) {
      route = "rejected";
      response = CompletableFuture.completedFuture(error(ctx, e.error(), e.getMessage()));
    } finally {
      request.release();
    }
    Call call = new Call(route, keepAlive);
    long start = System.nanoTime();
    response.whenComplete(
        (ok, failure) -> {
          if (ctx.executor().inEventLoop()) {
            finish(ctx, call, start, ok, failure);
          } else {
            ctx.executor().execute(() -> finish(ctx, call, start, ok, failure));
          }
        });
  }

  private void finish(
      ChannelHandlerContext ctx, Call call, long start, FullHttpResponse ok, Throwable failure) {
    FullHttpResponse response = ok != null ? ok : failure(ctx, failure);
    metrics.record(call.route(), response.status().code(), System.nanoTime() - start);
    reply(ctx, call, response, call.keepAlive());
    busy = false;
    FullHttpRequest next = waiting.poll();
    if (next != null) {
      handle(ctx, next);
    }
  }

  private void reply(
      ChannelHandlerContext ctx, Call call, FullHttpResponse response, boolean keepAlive) {
    if (!ctx.channel().isActive()) {
      response.release();
      return;
    }
    HttpUtil.setContentLength(response, response.content().readableBytes());
    if (keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
      ctx.writeAndFlush(response, ctx.voidPromise());
    } else {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  private static String pathOf(String uri) {
    int query = uri.indexOf('?');
    return query < 0 ? uri : uri.substring(0, query);
  }

  /** The route's name for metrics, or "unknown". */
  private static String routeOf(HttpMethod method, String path) {
    if (path.equals(REDEMPTIONS)) {
      return "redeem";
    }
    if (path.startsWith(REDEMPTIONS + "/") && path.endsWith("/reversal")) {
      return "reverse";
    }
    if (path.startsWith(REDEMPTIONS + "/")) {
      return "get_redemption";
    }
    if (path.startsWith(COUPONS)) {
      return "get_coupon";
    }
    return "unknown";
  }

  private CompletableFuture<FullHttpResponse> route(
      ChannelHandlerContext ctx, FullHttpRequest request, String path, String route)
      throws ApiException {
    HttpMethod method = request.method();
    switch (route) {
      case "redeem" -> {
        requireMethod(method, HttpMethod.POST);
        return redeem(ctx, request);
      }
      case "reverse" -> {
        requireMethod(method, HttpMethod.POST);
        String id = path.substring(REDEMPTIONS.length() + 1, path.length() - "/reversal".length());
        return reverse(ctx, request, id);
      }
      case "get_redemption" -> {
        requireMethod(method, HttpMethod.GET);
        return getRedemption(ctx, path.substring(REDEMPTIONS.length() + 1));
      }
      case "get_coupon" -> {
        requireMethod(method, HttpMethod.GET);
        return getCoupon(ctx, path.substring(COUPONS.length()));
      }
      default -> throw new ApiException(ApiError.NOT_FOUND, "no such resource: " + path);
    }
  }

  private static void requireMethod(HttpMethod actual, HttpMethod allowed) throws ApiException {
    if (!actual.equals(allowed)) {
      throw new ApiException(
          ApiError.METHOD_NOT_ALLOWED,
          "method " + actual + " is not allowed here (allowed: " + allowed + ")");
    }
  }

  private CompletableFuture<FullHttpResponse> redeem(
      ChannelHandlerContext ctx, FullHttpRequest request) throws ApiException {
    requireJson(request, true);
    List<String> keys = request.headers().getAll("Idempotency-Key");
    if (keys.isEmpty()) {
      throw new ApiException(ApiError.INVALID_REQUEST, "the Idempotency-Key header is required");
    }
    if (keys.size() > 1) {
      throw new ApiException(
          ApiError.INVALID_REQUEST, "the Idempotency-Key header must appear once");
    }
    String key = keys.get(0);
    if (!RedeemRequest.IDEMPOTENCY_KEY.matcher(key).matches()) {
      throw new ApiException(
          ApiError.INVALID_REQUEST,
          "Idempotency-Key: must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    RedeemRequest redeem =
        ApiJson.parseRedeem(ByteBufUtil.getBytes(request.content())).withKey(key);
    return admit(() -> service.redeem(redeem).thenApply(outcome -> answer(ctx, outcome)));
  }

  private CompletableFuture<FullHttpResponse> reverse(
      ChannelHandlerContext ctx, FullHttpRequest request, String rawId) throws ApiException {
    RedemptionId id = redemptionId(rawId);
    byte[] body = ByteBufUtil.getBytes(request.content());
    if (body.length > 0) {
      requireJson(request, true);
    }
    String reason = ApiJson.parseReversal(body);
    return admit(
        () ->
            service
                .reverse(id, reason)
                .thenApply(
                    outcome ->
                        outcome instanceof ReverseOutcome.Reversed r
                            ? json(
                                ctx,
                                HttpResponseStatus.OK,
                                ApiJson.redemption(ctx.alloc(), r.redemption()))
                            : notFound(ctx, rawId)));
  }

  private CompletableFuture<FullHttpResponse> getRedemption(ChannelHandlerContext ctx, String rawId)
      throws ApiException {
    RedemptionId id = redemptionId(rawId);
    return admit(
        () ->
            service
                .get(id)
                .thenApply(
                    lookup ->
                        lookup instanceof RedemptionLookup.Found found
                            ? json(
                                ctx,
                                HttpResponseStatus.OK,
                                ApiJson.redemption(ctx.alloc(), found.redemption()))
                            : notFound(ctx, rawId)));
  }

  private CompletableFuture<FullHttpResponse> getCoupon(ChannelHandlerContext ctx, String rawId)
      throws ApiException {
    long couponId = parseCouponId(rawId);
    return admit(
        () ->
            service
                .coupon(couponId)
                .thenApply(
                    coupon ->
                        coupon
                            .map(
                                c ->
                                    json(
                                        ctx, HttpResponseStatus.OK, ApiJson.coupon(ctx.alloc(), c)))
                            .orElseGet(
                                () ->
                                    error(
                                        ctx, ApiError.COUPON_NOT_FOUND, "no coupon " + couponId))));
  }

  /** Runs a service call unless too many are in flight already. */
  private CompletableFuture<FullHttpResponse> admit(
      java.util.function.Supplier<CompletableFuture<FullHttpResponse>> call) {
    if (!inFlight.tryAcquire()) {
      return CompletableFuture.failedFuture(new Overloaded());
    }
    CompletableFuture<FullHttpResponse> result;
    try {
      result = call.get();
    } catch (RuntimeException e) {
      inFlight.release();
      return CompletableFuture.failedFuture(e);
    }
    return result.whenComplete((r, e) -> inFlight.release());
  }

  /** The one mapping of a redemption outcome to HTTP. */
  private static FullHttpResponse answer(ChannelHandlerContext ctx, RedeemOutcome outcome) {
    if (outcome instanceof RedeemOutcome.Accepted a) {
      return json(ctx, HttpResponseStatus.CREATED, ApiJson.redemption(ctx.alloc(), a.redemption()));
    }
    if (outcome instanceof RedeemOutcome.Replayed r) {
      FullHttpResponse response =
          json(ctx, HttpResponseStatus.CREATED, ApiJson.redemption(ctx.alloc(), r.redemption()));
      response.headers().set("Idempotent-Replayed", "true");
      return response;
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

  private static long parseCouponId(String raw) throws ApiException {
    if (!raw.matches("[1-9][0-9]{0,18}")) {
      throw new ApiException(ApiError.COUPON_NOT_FOUND, "no coupon " + printable(raw));
    }
    try {
      return Long.parseLong(raw);
    } catch (NumberFormatException e) {
      throw new ApiException(ApiError.COUPON_NOT_FOUND, "no coupon " + printable(raw));
    }
  }

  private static void requireJson(FullHttpRequest request, boolean required) throws ApiException {
    String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
    if (type == null) {
      throw new ApiException(
          ApiError.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
    }
    String[] parts = type.split(";");
    if (!parts[0].trim().equalsIgnoreCase("application/json")) {
      throw new ApiException(
          ApiError.UNSUPPORTED_MEDIA_TYPE, "Content-Type must be application/json");
    }
    for (int i = 1; i < parts.length; i++) {
      String param = parts[i].trim().toLowerCase(Locale.ROOT);
      if (param.startsWith("charset=")
          && !param.equals("charset=utf-8")
          && !param.equals("charset=\"utf-8\"")) {
        throw new ApiException(ApiError.UNSUPPORTED_MEDIA_TYPE, "the body must be UTF-8");
      }
    }
  }

  private static FullHttpResponse notFound(ChannelHandlerContext ctx, String rawId) {
    return error(ctx, ApiError.REDEMPTION_NOT_FOUND, "no redemption " + printable(rawId));
  }

  private static FullHttpResponse decoderFailure(ChannelHandlerContext ctx, Throwable cause) {
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

  private FullHttpResponse failure(ChannelHandlerContext ctx, Throwable failure) {
    Throwable cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    if (cause instanceof Overloaded) {
      FullHttpResponse r =
          error(ctx, ApiError.UNAVAILABLE, "too many requests in flight; retry shortly");
      r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
      return r;
    }
    RuntimeException mapped = RedisReplies.map(cause);
    if (mapped instanceof RedisReplies.RedisUnavailableException) {
      FullHttpResponse r =
          error(
              ctx, ApiError.UNAVAILABLE, "redemptions cannot be decided right now; retry shortly");
      r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
      return r;
    }
    if (mapped instanceof MetadataUnavailableException) {
      FullHttpResponse r = error(ctx, ApiError.UNAVAILABLE, mapped.getMessage());
      r.headers().set(HttpHeaderNames.RETRY_AFTER, "1");
      return r;
    }
    log.error("Request failed", cause);
    return error(ctx, ApiError.INTERNAL, "the service could not decide; retry shortly");
  }

  static FullHttpResponse error(ChannelHandlerContext ctx, ApiError error, String message) {
    return json(ctx, error.status(), ApiJson.error(ctx.alloc(), error, message));
  }

  private static FullHttpResponse json(
      ChannelHandlerContext ctx, HttpResponseStatus status, ByteBuf body) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
    if (status == HttpResponseStatus.METHOD_NOT_ALLOWED) {
      response.headers().set(HttpHeaderNames.ALLOW, "GET, POST");
    }
    return response;
  }

  /** Text safe to echo in an error message: printable ASCII, at most 100 characters. */
  private static String printable(String raw) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < raw.length() && b.length() < 100; i++) {
      char c = raw.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }

  /** Too many requests in flight. */
  private static final class Overloaded extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Overloaded() {
      super("overloaded", null, false, false);
    }
  }
}
