package io.couponflow.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.gateway.RawHttp;
import io.couponflow.lua.RedeemOutcome;
import io.couponflow.lua.RedemptionLookup;
import io.couponflow.model.Redemption;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One connection's order, keep-alive and deadlines ({@link RequestSequencer}), through the API's
 * pipeline on an {@code EmbeddedChannel} whose service calls the test completes by hand.
 */
class RequestSequencerTest {
  private static final Redemption R = FakeRedemptions.redemption(42, "SO-1");
  private static final String GET_REDEMPTION =
      "GET /v1/redemptions/42.SO-1.1 HTTP/1.1\r\nHost: t\r\n\r\n";
  private static final String UNKNOWN = "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n";

  private final List<CompletableFuture<RedemptionLookup>> lookups = new ArrayList<>();
  private ApiChannel api = channel(Map.of());

  private ApiChannel channel(Map<String, String> env) {
    ApiChannel c = new ApiChannel(env, 10_000);
    c.service.get =
        id -> {
          CompletableFuture<RedemptionLookup> f = new CompletableFuture<>();
          lookups.add(f);
          return f;
        };
    return c;
  }

  @AfterEach
  void finish() {
    api.close();
  }

  private static String redeem(String key) {
    return new String(
        RawHttp.request(
            "POST",
            "/v1/redemptions",
            List.of("Content-Type: application/json", "Idempotency-Key: " + key),
            "{\"couponId\":42,\"userId\":\"u-1\",\"orderId\":\"SO-1\",\"orderAmountCents\":1}"
                .getBytes(StandardCharsets.UTF_8)),
        StandardCharsets.ISO_8859_1);
  }

  @Test
  void pipelined_areHandedOnOneAtATime_andAnsweredInTheOrderTheyCame() {
    api.service.redeem = r -> CompletableFuture.completedFuture(new RedeemOutcome.Accepted(R, "1"));

    api.send(GET_REDEMPTION + UNKNOWN + redeem("k-1") + GET_REDEMPTION);

    assertThat(api.service.calls).containsExactly("get 42.SO-1.1");
    assertThat(api.available()).isFalse();

    lookups.get(0).complete(new RedemptionLookup.Found(R));

    assertThat(api.service.calls)
        .containsExactly("get 42.SO-1.1", "redeem 42 k-1 u-1 SO-1 1", "get 42.SO-1.1");
    lookups.get(1).complete(new RedemptionLookup.NotFound());
    assertThat(api.readAll())
        .extracting(ApiChannel.Response::status)
        .containsExactly(200, 404, 201, 404);
    assertThat(api.isOpen()).isTrue();
  }

  @Test
  void keepAlive_isSaidOnEveryAnswer_andTheConnectionStaysOpen() {
    for (int i = 0; i < 3; i++) {
      ApiChannel.Response r = api.exchange(UNKNOWN);

      assertThat(r.header("Connection")).isEqualTo("keep-alive");
    }
    assertThat(api.isOpen()).isTrue();
  }

  @Test
  void connectionClose_isAnsweredWithCloseAndClosed() {
    ApiChannel.Response r =
        api.exchange("GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.header("Connection")).isEqualTo("close");
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void http10WithoutKeepAlive_isClosed_withKeepAlive_staysOpen() {
    ApiChannel.Response kept = api.exchange("GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    assertThat(kept.header("Connection")).isEqualTo("keep-alive");
    assertThat(api.isOpen()).isTrue();

    ApiChannel.Response closed = api.exchange("GET /nope HTTP/1.0\r\n\r\n");

    assertThat(closed.header("Connection")).isEqualTo("close");
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void pipelinedAfterConnectionClose_isNeverHandedOn() {
    api.send(
        "GET /v1/redemptions/42.SO-1.1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            + redeem("k-after"));
    assertThat(api.channel.config().isAutoRead()).isFalse();

    lookups.get(0).complete(new RedemptionLookup.Found(R));

    assertThat(api.read().header("Connection")).isEqualTo("close");
    assertThat(api.available()).isFalse();
    assertThat(api.service.calls).containsExactly("get 42.SO-1.1");
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void pipelinedAfterHttp10WithoutKeepAlive_isNeverHandedOn() {
    api.send("GET /v1/redemptions/42.SO-1.1 HTTP/1.0\r\n\r\n" + redeem("k-after") + UNKNOWN);
    lookups.get(0).complete(new RedemptionLookup.NotFound());

    assertThat(api.readAll()).extracting(ApiChannel.Response::status).containsExactly(404);
    assertThat(api.service.calls).containsExactly("get 42.SO-1.1");
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void pipelinedAfterAnAnswerTheRouterCloses_isNeverHandedOn() {
    api.send("GET /v1/coupons/1 HTTP/1.2\r\nHost: t\r\n\r\n" + redeem("k-after"));

    assertThat(api.readAll()).extracting(ApiChannel.Response::status).containsExactly(400);
    assertThat(api.service.calls).isEmpty();
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void deadlineWhileBusy_answersEveryWholeRequestBeforeIt_then408() {
    api.close();
    api = channel(Map.of("COUPON_HTTP_REQUEST_TIMEOUT", "500ms"));
    api.channel.freezeTime();
    api.send(GET_REDEMPTION + UNKNOWN + "GET /v1/coup");
    api.channel.advanceTimeBy(500, TimeUnit.MILLISECONDS);
    api.channel.runScheduledPendingTasks();
    assertThat(api.available()).isFalse();

    lookups.get(0).complete(new RedemptionLookup.NotFound());

    List<ApiChannel.Response> answers = api.readAll();
    assertThat(answers).extracting(ApiChannel.Response::status).containsExactly(404, 404, 408);
    assertThat(answers)
        .extracting(r -> r.header("Connection"))
        .containsExactly("keep-alive", "keep-alive", "close");
    assertThat(api.isOpen()).isFalse();
  }

  private static double cuts(ApiChannel c, String reason) {
    return c.registry
        .get("couponflow.http.connections.cut")
        .tag("reason", reason)
        .counter()
        .count();
  }

  private static void writable(ApiChannel c, boolean writable) {
    c.channel.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
    c.channel.runPendingTasks();
  }

  @Test
  void unwritable_pausesReadingAndHandsNothingOn_untilWritableAgain() {
    writable(api, false);
    assertThat(api.channel.config().isAutoRead()).isFalse();

    api.send(UNKNOWN + GET_REDEMPTION + UNKNOWN);

    assertThat(api.available()).isFalse();
    assertThat(api.service.calls).isEmpty();

    writable(api, true);
    assertThat(api.channel.config().isAutoRead()).isTrue();
    lookups.get(0).complete(new RedemptionLookup.NotFound());

    assertThat(api.readAll())
        .extracting(ApiChannel.Response::status)
        .containsExactly(404, 404, 404);
    assertThat(api.service.calls).containsExactly("get 42.SO-1.1");
    assertThat(api.isOpen()).isTrue();
    assertThat(cuts(api, "pipelining_limit")).isZero();
  }

  @Test
  void pipeliningLimit_countsRequestsAnsweredLocallyToo_acceptedAreAnswered_thenClosed() {
    writable(api, false);

    api.send(UNKNOWN.repeat(RequestSequencer.MAX_PIPELINED + 10));

    assertThat(cuts(api, "pipelining_limit")).isEqualTo(1);
    assertThat(api.channel.config().isAutoRead()).isFalse();
    assertThat(api.available()).isFalse();
    writable(api, true);
    assertThat(api.channel.config().isAutoRead()).isFalse();
    List<ApiChannel.Response> answers = api.readAll();
    assertThat(answers).hasSize(RequestSequencer.MAX_PIPELINED);
    assertThat(answers.get(answers.size() - 1).header("Connection")).isEqualTo("close");
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void pipeliningLimit_behindARequestInProgress_answersTheOneInProgressAndTheWaiting() {
    api.send(GET_REDEMPTION + UNKNOWN.repeat(RequestSequencer.MAX_PIPELINED + 1) + redeem("k-x"));
    assertThat(cuts(api, "pipelining_limit")).isEqualTo(1);

    lookups.get(0).complete(new RedemptionLookup.NotFound());

    assertThat(api.readAll()).hasSize(RequestSequencer.MAX_PIPELINED + 1);
    assertThat(api.service.calls).containsExactly("get 42.SO-1.1");
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void idleWhilePausedOnUnreadAnswers_isCutAndCounted_idleOtherwiseIsNot() {
    api.close();
    api = channel(Map.of("COUPON_HTTP_IDLE_TIMEOUT", "1s"));
    ApiChannel quiet = api.anotherConnection();
    try {
      api.channel.freezeTime();
      quiet.channel.freezeTime();
      writable(api, false);
      api.send(UNKNOWN);

      for (ApiChannel c : List.of(api, quiet)) {
        c.channel.advanceTimeBy(1, TimeUnit.SECONDS);
        c.channel.runScheduledPendingTasks();
      }

      assertThat(api.isOpen()).isFalse();
      assertThat(quiet.isOpen()).isFalse();
      assertThat(cuts(api, "unread_answers")).isEqualTo(1);
    } finally {
      quiet.close();
    }
  }

  @Test
  void bufferLimit_anAnswerThatWouldBeHeldBeyondItCutsTheConnection() {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    io.netty.channel.embedded.EmbeddedChannel ch =
        new io.netty.channel.embedded.EmbeddedChannel(
            new RequestSequencer(new HttpMetrics(registry), 100),
            new io.netty.channel.ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(io.netty.channel.ChannelHandlerContext ctx, Object msg) {
                io.netty.util.ReferenceCountUtil.release(msg);
                ctx.writeAndFlush(
                    new io.netty.handler.codec.http.DefaultFullHttpResponse(
                        io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
                        io.netty.handler.codec.http.HttpResponseStatus.OK,
                        io.netty.buffer.Unpooled.wrappedBuffer(new byte[101])));
              }
            });
    io.netty.handler.codec.http.FullHttpRequest request =
        new io.netty.handler.codec.http.DefaultFullHttpRequest(
            io.netty.handler.codec.http.HttpVersion.HTTP_1_1,
            io.netty.handler.codec.http.HttpMethod.GET,
            "/");

    ch.writeInbound(request);

    assertThat(ch.isOpen()).isFalse();
    assertThat(ch.outboundMessages()).isEmpty();
    assertThat(request.refCnt()).isZero();
    assertThat(
            registry
                .get("couponflow.http.connections.cut")
                .tag("reason", "buffer_limit")
                .counter()
                .count())
        .isEqualTo(1);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void anAnswerAfterTheClientLeft_isDropped_countsNoCut_andGivesItsPermitBack() {
    api.send(GET_REDEMPTION);
    api.channel.close();

    lookups.get(0).complete(new RedemptionLookup.Found(R));

    assertThat(api.available()).isFalse();
    assertThat(api.inFlight.current()).isZero();
    assertThat(cuts(api, "buffer_limit")).isZero();
  }

  @Test
  void malformedHttp_isAnswered400AndClosed() {
    ApiChannel.Response r = api.exchange("GET /v1/coupons/1 HTTP/1.1\r\nno colon\r\n\r\n");

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.header("Connection")).isEqualTo("close");
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void deadline_answers408OnceTheAnswersBeforeItAreWritten_thenCloses() {
    api.close();
    api = channel(Map.of("COUPON_HTTP_REQUEST_TIMEOUT", "500ms"));
    api.channel.freezeTime();

    api.send(UNKNOWN + "GET /v1/coup");
    api.channel.advanceTimeBy(499, TimeUnit.MILLISECONDS);
    api.channel.runScheduledPendingTasks();
    assertThat(api.read().status()).isEqualTo(404);
    assertThat(api.available()).isFalse();
    api.channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    api.channel.runScheduledPendingTasks();

    ApiChannel.Response r = api.read();
    assertThat(r.status()).isEqualTo(408);
    assertThat(r.body()).contains("\"REQUEST_TIMEOUT\"");
    assertThat(r.header("Connection")).isEqualTo("close");
    assertThat(api.isOpen()).isFalse();
  }

  @Test
  void idle_closesAQuietConnection_butNotOneWithARequestInProgress() {
    api.close();
    api = channel(Map.of("COUPON_HTTP_IDLE_TIMEOUT", "1s"));
    api.channel.freezeTime();
    api.send(GET_REDEMPTION);

    api.channel.advanceTimeBy(2, TimeUnit.SECONDS);
    api.channel.runScheduledPendingTasks();
    assertThat(api.isOpen()).isTrue();

    lookups.get(0).complete(new RedemptionLookup.NotFound());
    assertThat(api.read().status()).isEqualTo(404);
    api.channel.advanceTimeBy(1, TimeUnit.SECONDS);
    api.channel.runScheduledPendingTasks();

    assertThat(api.isOpen()).isFalse();
  }
}
