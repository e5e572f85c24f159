package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Graceful stop under load, in-process: requests in flight are answered, later ones are turned away
 * with 503 or find the port closed, the queue is written, and every 201 has its MySQL row the
 * moment {@link Gateway#stop} returns.
 */
class ShutdownIT {
  private static final Pattern ID = Pattern.compile("\"redemptionId\":\"([^\"]+)\"");

  @Test
  void stopUnderLoad_losesNoAcceptedRedemption() throws Exception {
    GatewayFixture fx = GatewayFixture.start(ShutdownIT.class);
    try {
      fx.createCoupon(1, 100_000, 100_000, 0, 100);
      assertThat(fx.redeem("warm", 1, "u-warm", "o-warm", 1_000).statusCode()).isEqualTo(201);
      Set<String> accepted = ConcurrentHashMap.newKeySet();
      accepted.add("1.o-warm.1");
      AtomicInteger turnedAway = new AtomicInteger();
      AtomicInteger n = new AtomicInteger();
      ExecutorService clients = Executors.newFixedThreadPool(8);
      List<Future<?>> load =
          java.util.stream.IntStream.range(0, 8)
              .<Future<?>>mapToObj(
                  t ->
                      clients.submit(
                          () -> {
                            while (true) {
                              int i = n.incrementAndGet();
                              HttpResponse<String> r;
                              try {
                                r =
                                    fx.http()
                                        .send(request(fx, i), HttpResponse.BodyHandlers.ofString());
                              } catch (Exception closed) {
                                turnedAway.incrementAndGet();
                                return;
                              }
                              if (r.statusCode() == 201) {
                                Matcher m = ID.matcher(r.body());
                                assertThat(m.find()).isTrue();
                                accepted.add(m.group(1));
                              } else {
                                assertThat(r.statusCode()).isEqualTo(503);
                                assertThat(r.body()).contains("\"UNAVAILABLE\"");
                                turnedAway.incrementAndGet();
                                return;
                              }
                            }
                          }))
              .toList();
      Thread.sleep(700);

      fx.gateway().stop();
      for (Future<?> f : load) {
        f.get(10, TimeUnit.SECONDS);
      }
      clients.shutdown();

      assertThat(accepted.size()).isGreaterThan(20);
      assertThat(turnedAway.get()).isEqualTo(8);
      assertThat(fx.db().queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 1"))
          .isEqualTo(accepted.size());
      assertThat(fx.redis().keys()).noneMatch(k -> k.endsWith(":x"));
    } finally {
      fx.close();
    }
  }

  private static HttpRequest request(GatewayFixture fx, int i) {
    return HttpRequest.newBuilder(fx.api("/v1/redemptions"))
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", "k-" + i)
        .POST(
            HttpRequest.BodyPublishers.ofString(
                GatewayFixture.redeemBody(1, "u-" + i, "o-" + i, 1_000)))
        .build();
  }
}
