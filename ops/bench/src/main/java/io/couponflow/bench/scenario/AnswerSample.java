package io.couponflow.bench.scenario;

import io.couponflow.bench.load.RedemptionRequests;
import io.couponflow.bench.rig.BenchEnvironment;
import io.couponflow.bench.rig.GatewayJvm;
import io.couponflow.bench.rig.InvariantViolation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * The body of a real redemption answer, for scenario H to answer with: taken from the gateway (one
 * redemption of a coupon of its own, checked like every other), or, when no gateway ran, a template
 * of the same shape as S1's answers.
 *
 * @param source where it came from, for the report
 */
public record AnswerSample(byte[] body, String source) {
  private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

  /**
   * The answer the gateway gives a request of S1's shape: what {@link RedemptionRequests} sends,
   * for an n of six digits.
   */
  public static AnswerSample template() {
    String id = "a-100000";
    String body =
        "{\"redemptionId\":\"10.o-"
            + id
            + ".1\",\"couponId\":10,\"userId\":\"u-"
            + id
            + "\",\"orderId\":\"o-"
            + id
            + "\",\"orderAmountCents\":"
            + RedemptionRequests.ORDER_AMOUNT_CENTS
            + ",\"discountCents\":5000,\"status\":\"ACCEPTED\",\"acceptedAt\":\""
            + Instant.parse("2026-12-04T20:00:00.123Z")
            + "\",\"reversedAt\":null}";
    return new AnswerSample(
        body.getBytes(StandardCharsets.UTF_8), "a template of a real 201's body (no gateway ran)");
  }

  /** One redemption through the gateway on {@code couponId} (created here), with its checks. */
  public static AnswerSample take(BenchEnvironment env, GatewayJvm gateway, long couponId) {
    env.createCoupon(couponId, "bench answer sample", 1, 0);
    byte[] request = new RedemptionRequests(couponId, "a", ClosedLoop.HOST).next();
    String text = new String(request, StandardCharsets.US_ASCII);
    String key = text.replaceAll("(?s).*Idempotency-Key: ([^\r]*)\r.*", "$1");
    String body = text.substring(text.indexOf("\r\n\r\n") + 4);
    HttpResponse<byte[]> answer;
    try {
      answer =
          HttpClient.newBuilder()
              .version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5))
              .build()
              .send(
                  HttpRequest.newBuilder(
                          URI.create(
                              "http://"
                                  + ClosedLoop.HOST
                                  + ":"
                                  + gateway.apiPort()
                                  + "/v1/redemptions"))
                      .timeout(Duration.ofSeconds(10))
                      .header("Content-Type", "application/json")
                      .header("Idempotency-Key", key)
                      .POST(HttpRequest.BodyPublishers.ofString(body))
                      .build(),
                  HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException("the answer sample's request failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    if (answer.statusCode() != 201) {
      throw new IllegalStateException(
          "the answer sample's redemption got "
              + answer.statusCode()
              + ": "
              + new String(answer.body(), StandardCharsets.UTF_8));
    }
    long accepted = env.checkRedis("answer sample", couponId).accepted();
    if (accepted != 1) {
      throw new InvariantViolation(
          "answer sample: one 201, but Redis accepted " + accepted + " redemptions");
    }
    env.awaitDrained("answer sample", couponId, DRAIN_TIMEOUT);
    return new AnswerSample(answer.body(), "a real 201's body from the gateway");
  }
}
