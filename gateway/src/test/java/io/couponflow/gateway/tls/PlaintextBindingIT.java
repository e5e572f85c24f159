package io.couponflow.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.gateway.RawHttp;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.ServerProcess;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Secure by default, as a user runs the gateway ({@code java -jar}): plain text beyond loopback is
 * refused at start unless COUPON_HTTP_ALLOW_PLAINTEXT says otherwise, and then it is said at WARN.
 */
class PlaintextBindingIT {
  private static final Path JAR = Path.of("target", "couponflow-gateway.jar").toAbsolutePath();

  /** The gateway's exit code, or -1 while it runs; and everything it printed so far. */
  private record Run(Process process, Path log) {
    String output() throws IOException {
      return Files.readString(log, StandardCharsets.UTF_8);
    }
  }

  private static Run start(String name, Map<String, String> env) throws IOException {
    Path log = TestSettings.workDir().resolve("plaintext-" + name + ".log");
    Files.createDirectories(log.getParent());
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                "-jar",
                JAR.toString())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("COUPON_"));
    builder.environment().putAll(env);
    return new Run(builder.start(), log);
  }

  private static int exitCode(Run run) throws Exception {
    assertThat(run.process().waitFor(30, TimeUnit.SECONDS)).as("exited").isTrue();
    return run.process().exitValue();
  }

  @Test
  void plaintextBeyondLoopback_isRefusedAtStart_exit2_namingBothVariables() throws Exception {
    Run run = start("refused", Map.of("COUPON_HTTP_HOST", "0.0.0.0", "COUPON_HTTP_PORT", "0"));

    assertThat(exitCode(run)).isEqualTo(2);
    assertThat(run.output())
        .contains(
            "couponflow-gateway: COUPON_HTTP_HOST: 0.0.0.0 is not a loopback address",
            "COUPON_HTTP_ALLOW_PLAINTEXT=true");
  }

  @Test
  void tlsFilesThatCannotBeUsed_areRefusedAtStart_exit2() throws Exception {
    Run alone = start("alone", Map.of("COUPON_HTTP_TLS_CERT_FILE", "/nonexistent/tls.crt"));
    assertThat(exitCode(alone)).isEqualTo(2);
    assertThat(alone.output())
        .contains(
            "couponflow-gateway: COUPON_HTTP_TLS_KEY_FILE: unset, but COUPON_HTTP_TLS_CERT_FILE is"
                + " set");

    Run missing =
        start(
            "missing",
            Map.of(
                "COUPON_HTTP_TLS_CERT_FILE", "/nonexistent/tls.crt",
                "COUPON_HTTP_TLS_KEY_FILE", "/nonexistent/tls.key"));
    assertThat(exitCode(missing)).isEqualTo(2);
    assertThat(missing.output())
        .contains(
            "couponflow-gateway: COUPON_HTTP_TLS_CERT_FILE: /nonexistent/tls.crt cannot be read"
                + " (NoSuchFileException)");
  }

  @Test
  void plaintextBeyondLoopback_whenAllowed_servesAndSaysSoAtWarn() throws Exception {
    try (TestDatabase db = TestDatabase.create(PlaintextBindingIT.class);
        RedisFixture redis = RedisFixture.create(PlaintextBindingIT.class)) {
      int api = ServerProcess.freePort();
      Map<String, String> env = new HashMap<>();
      env.put("COUPON_HTTP_HOST", "0.0.0.0");
      env.put("COUPON_HTTP_ALLOW_PLAINTEXT", "true");
      env.put("COUPON_HTTP_PORT", Integer.toString(api));
      env.put("COUPON_MANAGEMENT_PORT", Integer.toString(ServerProcess.freePort()));
      env.put("COUPON_JDBC_URL", db.settings().url());
      env.put("COUPON_REDIS_URI", TestSettings.redisUri());
      env.put("COUPON_REDIS_PREFIX", redis.prefix());
      Run run = start("allowed", env);
      try {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!run.output().contains("API listening on 0.0.0.0:" + api)) {
          assertThat(run.process().isAlive()).as("running; see %s", run.log()).isTrue();
          assertThat(System.nanoTime()).as("listening in time").isLessThan(deadline);
          Thread.sleep(100);
        }

        assertThat(run.output().lines().filter(l -> l.contains(" WARN ")))
            .anySatisfy(
                l ->
                    assertThat(l)
                        .contains(
                            "plain text on 0.0.0.0 (COUPON_HTTP_HOST)",
                            "COUPON_HTTP_ALLOW_PLAINTEXT=true"));
        RawHttp.Response r =
            RawHttp.exchange(api, RawHttp.request("GET", "/v1/coupons/9", List.of(), null));
        assertThat(r.status()).isEqualTo(404);
      } finally {
        run.process().destroy();
        run.process().waitFor(30, TimeUnit.SECONDS);
        run.process().destroyForcibly();
      }
    }
  }
}
