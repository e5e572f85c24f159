package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTP/1.1 behaviour over raw sockets: keep-alive, pipelining, timeouts, limits. */
class HttpTransportIT {
  private static GatewayFixture fx;

  @BeforeAll
  static void start() {
    fx =
        GatewayFixture.start(
            HttpTransportIT.class,
            Map.of(
                "COUPON_HTTP_REQUEST_TIMEOUT", "600ms",
                "COUPON_HTTP_IDLE_TIMEOUT", "1s"));
    fx.createCoupon(1, 100, 100, 0, 100);
    fx.createCoupon(2, 100, 100, 0, 100);
    assertThat(fx.get("/v1/coupons/2").statusCode()).isEqualTo(200);
  }

  @AfterAll
  static void stop() {
    fx.close();
  }

  private static String redeem(String key, String order) {
    return redeem(1, key, order);
  }

  private static String redeem(long coupon, String key, String order) {
    String body = GatewayFixture.redeemBody(coupon, "u-" + order, order, 1_000);
    return "POST /v1/redemptions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        + "Idempotency-Key: "
        + key
        + "\r\nContent-Length: "
        + body.length()
        + "\r\n\r\n"
        + body;
  }

  @Test
  void pipelinedRequests_writtenAtOnce_areAnsweredInOrderOnOneConnection() {
    String get = "GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\n\r\n";
    String missing = "GET /v1/redemptions/1.nothing.1 HTTP/1.1\r\nHost: t\r\n\r\n";
    String unknown = "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n";

    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send(
          redeem("p-1", "P-1")
              + get
              + redeem("p-2", "P-2")
              + missing
              + redeem("p-1", "P-1")
              + unknown
              + redeem("p-3", "P-3"));
      List<RawHttp.Response> r = http.read(7);

      assertThat(r)
          .extracting(RawHttp.Response::status)
          .containsExactly(201, 200, 201, 404, 201, 404, 201);
      assertThat(r.get(0).body()).contains("\"redemptionId\":\"1.P-1.1\"");
      assertThat(r.get(1).body()).contains("\"couponId\":1");
      assertThat(r.get(2).body()).contains("\"redemptionId\":\"1.P-2.1\"");
      assertThat(r.get(3).body()).contains("REDEMPTION_NOT_FOUND");
      assertThat(r.get(4).header("Idempotent-Replayed")).isEqualTo("true");
      assertThat(r.get(4).body()).isEqualTo(r.get(0).body());
      assertThat(r.get(5).body()).contains("\"NOT_FOUND\"");
      assertThat(r.get(6).body()).contains("\"redemptionId\":\"1.P-3.1\"");
      assertThat(r).allMatch(x -> "keep-alive".equals(x.header("Connection")));
    }
  }

  @Test
  void keepAlive_servesManyRequestsOnOneConnection() {
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      for (int i = 0; i < 20; i++) {
        http.send("GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\n\r\n");
        RawHttp.Response r = http.read();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Connection")).isEqualTo("keep-alive");
      }
    }
  }

  @Test
  void connectionClose_isHonoured() {
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send("GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");

      assertThat(http.read().status()).isEqualTo(200);
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void requestsPipelinedAfterConnectionClose_areNotExecuted() {
    String before = fx.state(2);
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send(
          "GET /v1/coupons/2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
              + redeem(2, "after-close", "AFTER-CLOSE"));

      RawHttp.Response r = http.read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Connection")).isEqualTo("close");
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(fx.state(2)).isEqualTo(before);
    assertThat(fx.get("/v1/redemptions/2.AFTER-CLOSE.1").statusCode()).isEqualTo(404);
  }

  @Test
  void requestsPipelinedAfterHttp10WithoutKeepAlive_areNotExecuted() {
    String before = fx.state(2);
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send("GET /v1/coupons/2 HTTP/1.0\r\n\r\n" + redeem(2, "after-10", "AFTER-10"));

      RawHttp.Response r = http.read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("Connection")).isEqualTo("close");
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(fx.state(2)).isEqualTo(before);
    assertThat(fx.get("/v1/redemptions/2.AFTER-10.1").statusCode()).isEqualTo(404);
  }

  @Test
  void absoluteFormTarget_isAcceptedAndRoutedByItsPath() {
    String body = GatewayFixture.redeemBody(2, "u-ABS", "ABS", 1_000);
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send(
          "POST http://gateway.example:8080/v1/redemptions HTTP/1.1\r\nHost: gateway.example\r\n"
              + "Content-Type: application/json\r\nIdempotency-Key: abs\r\nContent-Length: "
              + body.length()
              + "\r\n\r\n"
              + body
              + "GET http://gateway.example:8080/v1/redemptions/2.ABS.1 HTTP/1.1\r\n"
              + "Host: gateway.example\r\n\r\n");

      RawHttp.Response redeemed = http.read();
      RawHttp.Response found = http.read();
      assertThat(redeemed.status()).isEqualTo(201);
      assertThat(redeemed.body()).contains("\"redemptionId\":\"2.ABS.1\"");
      assertThat(found.status()).isEqualTo(200);
      assertThat(found.body()).isEqualTo(redeemed.body());
    }
  }

  @Test
  void head_onTheGetRoutes_answersLikeGetWithoutTheBody() {
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      for (String path : List.of("/v1/coupons/2", "/v1/redemptions/2.nothing.1", "/v1/coupons/0")) {
        http.send("GET " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
        RawHttp.Response get = http.read();
        http.send("HEAD " + path + " HTTP/1.1\r\nHost: t\r\n\r\n");
        RawHttp.Response head = http.readHead();

        assertThat(head.status()).as(path).isEqualTo(get.status());
        assertThat(head.headers()).as(path).isEqualTo(get.headers());
        assertThat(head.body()).isEmpty();
      }
      // no body followed any HEAD answer: the connection still reads as HTTP
      http.send("GET /v1/coupons/2 HTTP/1.1\r\nHost: t\r\n\r\n");
      assertThat(http.read().status()).isEqualTo(200);
    }
  }

  @Test
  void slowDrip_isCutAfterTheRequestDeadlineWith408() throws Exception {
    byte[] request = redeem("drip", "DRIP").getBytes(StandardCharsets.ISO_8859_1);
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      long start = System.nanoTime();
      for (int i = 0; i < 5; i++) {
        http.send(new byte[] {request[i]});
        Thread.sleep(100);
      }
      RawHttp.Response r = http.read();
      long millis = (System.nanoTime() - start) / 1_000_000;

      assertThat(r.status()).isEqualTo(408);
      assertThat(r.body()).contains("\"REQUEST_TIMEOUT\"");
      assertThat(millis).isBetween(550L, 3_000L);
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(fx.get("/v1/redemptions/1.DRIP.1").statusCode()).isEqualTo(404);
  }

  @Test
  void requestDeadline_waitsForTheAnswersPipelinedBeforeIt() {
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send("GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\n\r\nGET /v1/coup");

      assertThat(http.read().status()).isEqualTo(200);
      assertThat(http.read().status()).isEqualTo(408);
      assertThat(http.closedByServer()).isTrue();
    }
  }

  @Test
  void idleConnection_isClosed() throws Exception {
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send("GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\n\r\n");
      assertThat(http.read().status()).isEqualTo(200);
      long start = System.nanoTime();

      assertThat(http.closedByServer()).isTrue();
      assertThat((System.nanoTime() - start) / 1_000_000).isBetween(700L, 3_000L);
    }
  }

  @Test
  void tooManyPipelinedRequests_theAcceptedAreAnswered_thenTheConnectionIsCut() {
    String get = "GET /v1/coupons/1 HTTP/1.1\r\nHost: t\r\n\r\n";
    double cutsBefore = cuts("pipelining_limit");
    try (RawHttp http = new RawHttp(fx.port(), Duration.ofSeconds(5))) {
      http.send(get.repeat(200));

      // the one in progress and the 32 waiting behind it; the 34th cut the connection
      List<RawHttp.Response> answered = http.read(33);
      assertThat(answered).extracting(RawHttp.Response::status).containsOnly(200);
      assertThat(answered.subList(0, 32))
          .allMatch(r -> "keep-alive".equals(r.header("Connection")));
      assertThat(answered.get(32).header("Connection")).isEqualTo("close");
      assertThat(http.closedByServer()).isTrue();
    }
    assertThat(cuts("pipelining_limit")).isEqualTo(cutsBefore + 1);
  }

  private static double cuts(String reason) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile(
                "couponflow_http_connections_cut_total\\{reason=\"" + reason + "\"\\} (\\S+)")
            .matcher(fx.metrics());
    assertThat(m.find()).as("the cut counter is exported").isTrue();
    return Double.parseDouble(m.group(1));
  }
}
