package io.couponflow.gateway;

import io.couponflow.config.ConfigException;
import io.couponflow.config.Env;
import io.couponflow.sql.Migrations;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * {@code java -jar couponflow-gateway.jar}: reads COUPON_* variables, starts, and on SIGTERM or
 * SIGINT stops gracefully and exits 0. Exit 2 means a bad configuration value, 1 that the gateway
 * could not start.
 */
public final class GatewayMain {
  private static final Logger log = LoggerFactory.getLogger(GatewayMain.class);

  private GatewayMain() {}

  public static void main(String[] args) {
    GatewayConfig config;
    try {
      config = GatewayConfig.from(Env.system());
    } catch (ConfigException e) {
      System.err.println("couponflow-gateway: " + e.getMessage());
      System.exit(2);
      return;
    }
    Gateway gateway;
    try {
      gateway = Gateway.start(config);
    } catch (ConfigException e) {
      // a setting that only proves bad once used: a TLS file that cannot be read or used
      System.err.println("couponflow-gateway: " + e.getMessage());
      System.exit(2);
      return;
    } catch (Migrations.SchemaBehindException e) {
      System.err.println("couponflow-gateway: " + e.getMessage());
      System.exit(1);
      return;
    } catch (Exception e) {
      // Any failure, checked ones too (Netty rethrows a failed bind as the checked exception it
      // is): the process must not linger half started.
      log.error("Could not start", e);
      System.err.println(
          "couponflow-gateway: could not start: " + (e.getMessage() == null ? e : e.getMessage()));
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runnable stop =
        () -> {
          try {
            gateway.stop();
          } finally {
            stopped.countDown();
          }
        };
    Signal.handle(new Signal("TERM"), s -> new Thread(stop, "couponflow-shutdown").start());
    Signal.handle(new Signal("INT"), s -> new Thread(stop, "couponflow-shutdown").start());
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    System.exit(0);
  }
}
