package io.couponflow.gateway.http;

import io.couponflow.gateway.redeem.Redemptions;
import io.couponflow.gateway.security.Caller;
import io.couponflow.gateway.security.Role;
import io.couponflow.lua.RedeemRequest;
import io.couponflow.model.Ids;
import io.couponflow.model.RedemptionId;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API's routes: validates each request, asks the {@link Redemptions} service, and maps what it
 * came to, for every route, to HTTP in one place ({@link #answer}). Each request it reads is
 * answered with exactly one response written to its context, on the channel's event loop; the
 * {@link RequestSequencer} in front of it keeps the connection's order and decides whether the
 * connection stays open (an answer the router already marks {@code Connection: close} closes it).
 *
 * <p>Authorisation: a request to a route whose {@link Route#role role} the connection's caller
 * ({@link ClientIdentity}) lacks is answered 403 FORBIDDEN before anything else about it is
 * checked, and asks nothing of the service. Without mTLS every caller has every role.
 *
 * <p>Admission: a request that passed validation takes a permit from {@link InFlight}, held until
 * its answer is written; without one it is answered 503 with {@code Retry-After}. Validation
 * failures are answered at once and take none.
 *
 * <p>Thread-safety: holds no per-channel state; one instance serves every connection.
 */
@ChannelHandler.Sharable
final class ApiRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(ApiRouter.class);
  private static final AsciiString IDEMPOTENCY_KEY = AsciiString.cached("idempotency-key");
  private static final AsciiString IDEMPOTENT_REPLAYED = AsciiString.cached("idempotent-replayed");
  private static final AsciiString TRUE = AsciiString.cached("true");
  private static final AsciiString ONE_SECOND = AsciiString.cached("1");
  private static final AsciiString JSON = AsciiString.cached("application/json");
  private static final Pattern COUPON_ID = Pattern.compile("[1-9][0-9]{0,18}");
  private static final Pattern HOST =
      Pattern.compile("(\\[[0-9A-Fa-f:.vV]+\\]|[A-Za-z0-9\\-._~!$&'()*+,;=%]*)(:[0-9]*)?");

  private final Redemptions service;
  private final HttpMetrics metrics;
  private final InFlight inFlight;
  private final ChannelFutureListener releasePermit;

  ApiRouter(Redemptions service, HttpMetrics metrics, InFlight inFlight) {
    super(FullHttpRequest.class, true);
    this.service = service;
    this.metrics = metrics;
    this.inFlight = inFlight;
    this.releasePermit = f -> inFlight.release();
  }

  /** What a request came to: the response, and the outcome for the metrics. */
  record Answer(FullHttpResponse response, HttpMetrics.Success success, ApiError error) {}

  /** One request on its way: what its answer needs to know of it. */
  private record Exchange(Route route, long startNanos, boolean head) {}

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    long start = System.nanoTime();
    boolean head = HttpMethod.HEAD.equals(request.method());
    Route route = Route.MALFORMED;
    Answer now;
    try {
      DecoderResult decoded = request.decoderResult();
      if (decoded.isFailure()) {
        now = closing(decoderFailure(ctx.alloc(), decoded.cause()));
      } else if (request.protocolVersion().majorVersion() != 1
          || request.protocolVersion().minorVersion() > 1) {
        now =
            closing(
                error(
                    ctx.alloc(),
                    ApiError.INVALID_REQUEST,
                    "only HTTP/1.0 and HTTP/1.1 are spoken here"));
      } else if (!hostIsValid(request)) {
        now =
            closing(
                error(
                    ctx.alloc(),
                    ApiError.INVALID_REQUEST,
                    "one valid Host header is required (HTTP/1.1 requests must carry one)"));
      } else if (hasUnsupportedExpectation(request)) {
        now =
            closing(
                error(
                    ctx.alloc(), ApiError.INVALID_REQUEST, "Expect may only ask for 100-continue"));
      } else {
        Route.Match match = Route.match(pathOf(request.uri()));
        route = match.route();
        Caller caller = ClientIdentity.of(ctx.channel());
        if (inFlight.isDraining()) {
          now =
              closing(
                  answer(
                      ctx.alloc(),
                      Outcome.unavailable("the gateway is shutting down; retry on another")));
        } else if (!caller.may(requireRoute(request, route))) {
          now = answer(ctx.alloc(), Outcome.forbidden(caller, route.role()));
        } else {
          Supplier<CompletableFuture<Outcome>> call = validate(request, match);
          if (!inFlight.tryAcquire()) {
            now =
                answer(
                    ctx.alloc(), Outcome.unavailable("too many requests in flight; retry shortly"));
          } else {
            call(ctx, new Exchange(route, start, head), call);
            return;
          }
        }
      }
    } catch (ApiException e) {
      now = error(ctx.alloc(), e.error(), e.getMessage());
      if (e.error() == ApiError.METHOD_NOT_ALLOWED) {
        now.response().headers().set(HttpHeaderNames.ALLOW, allow(route));
      }
    }
    finish(ctx, new Exchange(route, start, head), now, false);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("Closing connection after {}", cause.toString());
    ctx.close();
  }

  private void call(
      ChannelHandlerContext ctx, Exchange exchange, Supplier<CompletableFuture<Outcome>> call) {
    CompletableFuture<Outcome> later;
    try {
      later = call.get();
    } catch (RuntimeException e) {
      later = CompletableFuture.failedFuture(e);
    }
    later.whenComplete(
        (outcome, failure) -> {
          if (ctx.executor().inEventLoop()) {
            complete(ctx, exchange, outcome, failure);
          } else {
            ctx.executor().execute(() -> complete(ctx, exchange, outcome, failure));
          }
        });
  }

  private void complete(
      ChannelHandlerContext ctx, Exchange exchange, Outcome outcome, Throwable failure) {
    Answer answer = answer(ctx.alloc(), outcome != null ? outcome : Outcome.of(failure));
    finish(ctx, exchange, answer, true);
  }

  private void finish(ChannelHandlerContext ctx, Exchange exchange, Answer answer, boolean permit) {
    long nanos = System.nanoTime() - exchange.startNanos();
    if (answer.error() != null) {
      metrics.recordError(exchange.route(), answer.error(), nanos);
    } else {
      metrics.recordSuccess(
          exchange.route(), answer.success(), answer.response().status().code(), nanos);
    }
    FullHttpResponse response = answer.response();
    int length = response.content().readableBytes();
    if (exchange.head()) {
      FullHttpResponse bodiless = response.replace(Unpooled.EMPTY_BUFFER);
      response.release();
      response = bodiless;
    }
    HttpUtil.setContentLength(response, length);
    if (permit) {
      ctx.writeAndFlush(response).addListener(releasePermit);
    } else {
      ctx.writeAndFlush(response, ctx.voidPromise());
    }
  }

  /**
   * RFC 9112 section 3.2: an HTTP/1.1 request carries exactly one Host header, an HTTP/1.0 request
   * at most one, and its value is a host (a name, an IPv4 address or a bracketed IP literal) with
   * an optional port, or empty.
   */
  private static boolean hostIsValid(FullHttpRequest request) {
    List<String> hosts = request.headers().getAll(HttpHeaderNames.HOST);
    if (hosts.size() > 1 || (hosts.isEmpty() && request.protocolVersion().minorVersion() >= 1)) {
      return false;
    }
    return hosts.isEmpty() || HOST.matcher(hosts.get(0)).matches();
  }

  /**
   * The path a request target names, without its query: the origin form ({@code /v1/...}) as it is,
   * and the absolute form ({@code http://host/v1/...}), which a server must accept (RFC 9112
   * section 3.2.2), by its path; an absolute form without a path names {@code /}.
   */
  private static String pathOf(String uri) {
    String target = uri;
    int authority = absoluteFormAuthority(target);
    if (authority > 0) {
      int end = authority;
      while (end < target.length() && target.charAt(end) != '/' && target.charAt(end) != '?') {
        end++;
      }
      target = end < target.length() && target.charAt(end) == '/' ? target.substring(end) : "/";
    }
    int query = target.indexOf('?');
    return query < 0 ? target : target.substring(0, query);
  }

  /** Where the authority starts in an {@code http://} or {@code https://} target; 0 if none. */
  private static int absoluteFormAuthority(String target) {
    if (target.regionMatches(true, 0, "http://", 0, 7)) {
      return 7;
    }
    if (target.regionMatches(true, 0, "https://", 0, 8)) {
      return 8;
    }
    return 0;
  }

  /**
   * Whether an HTTP/1.1 request expects anything but {@code 100-continue}, which this server cannot
   * meet (RFC 9110 section 10.1.1; HTTP/1.0 has no Expect).
   */
  static boolean hasUnsupportedExpectation(HttpMessage message) {
    if (!(message instanceof HttpRequest)
        || message.protocolVersion().compareTo(HttpVersion.HTTP_1_1) < 0) {
      return false;
    }
    for (String expect : message.headers().getAll(HttpHeaderNames.EXPECT)) {
      if (!HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect.trim())) {
        return true;
      }
    }
    return false;
  }

  /** A route serves its method, and HEAD where that is GET (RFC 9110 section 9.3.2). */
  private static boolean serves(Route route, HttpMethod method) {
    return method.equals(route.method())
        || (HttpMethod.GET.equals(route.method()) && HttpMethod.HEAD.equals(method));
  }

  private static String allow(Route route) {
    return HttpMethod.GET.equals(route.method()) ? "GET, HEAD" : route.method().name();
  }

  /**
   * Refuses a path no route serves (404) or a method the route does not serve (405).
   *
   * @return the role the route needs
   */
  private static Role requireRoute(FullHttpRequest request, Route route) throws ApiException {
    if (route == Route.UNMATCHED) {
      throw new ApiException(ApiError.NOT_FOUND, "no such resource");
    }
    if (!serves(route, request.method())) {
      throw new ApiException(
          ApiError.METHOD_NOT_ALLOWED,
          "method " + printable(request.method().name()) + " is not allowed here");
    }
    return route.role();
  }

  /**
   * Checks everything about a request to a route it may use that can be checked locally; returns
   * the service call to make.
   */
  private Supplier<CompletableFuture<Outcome>> validate(FullHttpRequest request, Route.Match match)
      throws ApiException {
    Route route = match.route();
    return switch (route) {
      case REDEEM -> redeem(request);
      case REVERSE -> reverse(request, match.parameter());
      case GET_REDEMPTION -> getRedemption(match.parameter());
      case GET_COUPON -> getCoupon(match.parameter());
      case UNMATCHED, MALFORMED -> throw new IllegalStateException("not a route: " + route);
    };
  }

  private Supplier<CompletableFuture<Outcome>> redeem(FullHttpRequest request) throws ApiException {
    requireJson(request.headers());
    String key = idempotencyKey(request.headers());
    RedeemRequest redeem =
        ApiJson.parseRedeem(ByteBufUtil.getBytes(request.content())).withKey(key);
    return () -> service.redeem(redeem).thenApply(Outcome::of);
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
    if (!Ids.isIdempotencyKey(key)) {
      throw new ApiException(ApiError.INVALID_REQUEST, "Idempotency-Key: must be " + Ids.KEY_RULE);
    }
    return key;
  }

  private Supplier<CompletableFuture<Outcome>> reverse(FullHttpRequest request, String rawId)
      throws ApiException {
    byte[] body = ByteBufUtil.getBytes(request.content());
    if (body.length > 0) {
      requireJson(request.headers());
    }
    String reason = ApiJson.parseReversal(body);
    RedemptionId id = redemptionId(rawId);
    return () -> service.reverse(id, reason).thenApply(outcome -> Outcome.of(outcome, rawId));
  }

  private Supplier<CompletableFuture<Outcome>> getRedemption(String rawId) throws ApiException {
    RedemptionId id = redemptionId(rawId);
    return () -> service.get(id).thenApply(lookup -> Outcome.of(lookup, rawId));
  }

  private Supplier<CompletableFuture<Outcome>> getCoupon(String rawId) throws ApiException {
    long couponId = couponId(rawId);
    return () -> service.coupon(couponId).thenApply(Outcome::of);
  }

  /** The one mapping of what a request came to, on every route, to HTTP. */
  static Answer answer(ByteBufAllocator alloc, Outcome outcome) {
    return switch (outcome.kind()) {
      case ACCEPTED ->
          new Answer(
              json(HttpResponseStatus.CREATED, ApiJson.redemption(alloc, outcome.redemption())),
              HttpMetrics.Success.ACCEPTED,
              null);
      case REPLAYED -> {
        FullHttpResponse response =
            json(HttpResponseStatus.CREATED, ApiJson.redemption(alloc, outcome.redemption()));
        response.headers().set(IDEMPOTENT_REPLAYED, TRUE);
        yield new Answer(response, HttpMetrics.Success.REPLAYED, null);
      }
      case REVERSED, FOUND -> ok(ApiJson.redemption(alloc, outcome.redemption()));
      case COUPON -> ok(ApiJson.coupon(alloc, outcome.coupon()));
      case COUPON_NOT_FOUND -> error(alloc, ApiError.COUPON_NOT_FOUND, "no such coupon");
      case COUPON_NOT_ACTIVE ->
          error(
              alloc,
              ApiError.COUPON_NOT_ACTIVE,
              "the coupon is paused or outside its redemption window");
      case SOLD_OUT -> error(alloc, ApiError.SOLD_OUT, "the coupon has no stock left");
      case USER_LIMIT_REACHED ->
          error(
              alloc,
              ApiError.USER_LIMIT_REACHED,
              "this user holds the most redemptions of this coupon allowed");
      case ORDER_ALREADY_REDEEMED ->
          error(
              alloc,
              ApiError.ORDER_ALREADY_REDEEMED,
              "this order already holds a redemption of this coupon");
      case ORDER_BELOW_THRESHOLD ->
          error(
              alloc,
              ApiError.ORDER_BELOW_THRESHOLD,
              "the order amount is below the coupon's threshold");
      case IDEMPOTENCY_KEY_REUSED ->
          error(
              alloc,
              ApiError.IDEMPOTENCY_KEY_REUSED,
              "this Idempotency-Key was used with different parameters");
      case REDEMPTION_NOT_FOUND ->
          error(
              alloc, ApiError.REDEMPTION_NOT_FOUND, "no redemption " + printable(outcome.detail()));
      case FORBIDDEN -> error(alloc, ApiError.FORBIDDEN, outcome.detail());
      case UNAVAILABLE -> {
        Answer unavailable = error(alloc, ApiError.UNAVAILABLE, outcome.detail());
        unavailable.response().headers().set(HttpHeaderNames.RETRY_AFTER, ONE_SECOND);
        yield unavailable;
      }
      case INTERNAL ->
          error(alloc, ApiError.INTERNAL, "the service could not decide; retry shortly");
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

  private static Answer decoderFailure(ByteBufAllocator alloc, Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return error(alloc, ApiError.URI_TOO_LONG, "the request line is too long");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return error(alloc, ApiError.HEADERS_TOO_LARGE, "the request headers are too large");
    }
    if (cause instanceof TooLongFrameException) {
      return error(alloc, ApiError.PAYLOAD_TOO_LARGE, "the request is too large");
    }
    return error(alloc, ApiError.INVALID_REQUEST, "malformed HTTP request");
  }

  /** The answer, marked to close the connection once it is written. */
  private static Answer closing(Answer answer) {
    answer.response().headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return answer;
  }

  private static Answer error(ByteBufAllocator alloc, ApiError error, String message) {
    return new Answer(errorResponse(alloc, error, message), null, error);
  }

  /** A JSON error response on its own, for the handlers around this one. */
  static FullHttpResponse errorResponse(ByteBufAllocator alloc, ApiError error, String message) {
    return json(error.status(), ApiJson.error(alloc, error, message));
  }

  private static Answer ok(ByteBuf body) {
    return new Answer(json(HttpResponseStatus.OK, body), HttpMetrics.Success.OK, null);
  }

  private static FullHttpResponse json(HttpResponseStatus status, ByteBuf body) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, JSON);
    return response;
  }

  /** Text safe to echo in an error message: printable ASCII, at most 100 characters. */
  static String printable(String raw) {
    StringBuilder b = new StringBuilder(Math.min(raw.length(), 100));
    for (int i = 0; i < raw.length() && b.length() < 100; i++) {
      char c = raw.charAt(i);
      b.append(c >= 0x20 && c < 0x7f ? c : '?');
    }
    return b.toString();
  }
}
