package io.couponflow.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.ServerProcess;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.Test;

/**
 * The launcher {@code bin/couponflow-gateway}, run by bash as a user runs it: the JVM options it
 * chooses from the memory and CPUs it finds (a fake /proc and /sys stand in for a container's), how
 * COUPON_JAVA_OPTS overrides them, and a real gateway started through it and stopped with SIGTERM.
 */
class LauncherIT {
  private static final Path LAUNCHER = Path.of("bin", "couponflow-gateway").toAbsolutePath();
  private static final Path JAR = Path.of("target", "couponflow-gateway.jar").toAbsolutePath();
  private static final Pattern HEAP_MAX =
      Pattern.compile("(?m)^jvm_memory_max_bytes\\{area=\"heap\",id=\"([^\"]+)\"} ([0-9.eE+]+)$");

  @Test
  void defaults_onAMachineWithoutLimits_areTheMeasuredOptions() throws Exception {
    Path root = fakeRoot("machine", null, null, null, 24 * 1024 * 1024);

    List<String> command = printCommand(root, Map.of());

    assertThat(command)
        .containsSubsequence(
            "-Xms512m",
            "-Xmx512m",
            "-Xmn320m",
            "-XX:+UseSerialGC",
            "-XX:+AlwaysPreTouch",
            "-XX:+ExitOnOutOfMemoryError",
            "-jar",
            JAR.toString());
  }

  @Test
  void defaults_inACgroupV2Container_takeHalfOfMemoryMax() throws Exception {
    Path root = fakeRoot("v2", "0::/kubepods/pod-a\n", "v2", "805306368\n", 24 * 1024 * 1024);

    List<String> command = printCommand(root, Map.of());

    assertThat(command).contains("-Xms384m", "-Xmx384m", "-Xmn240m", "-XX:+UseSerialGC");
  }

  @Test
  void defaults_inACgroupV1Container_takeHalfOfLimitInBytes() throws Exception {
    Path root =
        fakeRoot(
            "v1",
            "4:memory:/docker/abc\n1:cpu,cpuacct:/docker/abc\n",
            "v1",
            "268435456\n",
            1 << 24);

    List<String> command = printCommand(root, Map.of());

    assertThat(command).contains("-Xms128m", "-Xmx128m", "-Xmn80m");
  }

  @Test
  void defaults_whenTheLimitIsAboveTheMachine_takeTheMachine() throws Exception {
    Path root = fakeRoot("small", "0::/\n", "v2", "max\n", 400 * 1024);

    List<String> command = printCommand(root, Map.of());

    assertThat(command).contains("-Xms200m", "-Xmx200m", "-Xmn125m");
  }

  @Test
  void couponJavaOpts_replaceTheDefaultsTheyName_andKeepTheOthers() throws Exception {
    Path root = fakeRoot("override", null, null, null, 24 * 1024 * 1024);

    List<String> command =
        printCommand(
            root, Map.of("COUPON_JAVA_OPTS", "-Xmx200m -XX:+UseParallelGC -Dcouponflow.test=1"));

    assertThat(command).doesNotContain("-Xms512m", "-Xmx512m", "-Xmn320m", "-XX:+UseSerialGC");
    assertThat(command)
        .containsSubsequence(
            "-XX:+AlwaysPreTouch",
            "-XX:+ExitOnOutOfMemoryError",
            "-Xmx200m",
            "-XX:+UseParallelGC",
            "-Dcouponflow.test=1",
            "-jar");
  }

  @Test
  void unknownArgument_exits2() throws Exception {
    Process p = new ProcessBuilder("bash", LAUNCHER.toString(), "--port=1").start();

    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .contains("unknown argument '--port=1'");
  }

  @Test
  void help_explainsCouponJavaOpts() throws Exception {
    Process p = new ProcessBuilder("bash", LAUNCHER.toString(), "--help").start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(out).contains("COUPON_JAVA_OPTS", "-XX:+UseSerialGC", "--print-command");
  }

  @Test
  void start_withCouponJavaOpts_runsTheGatewayWithThemAndStopsCleanlyOnSigterm() throws Exception {
    try (TestDatabase db = TestDatabase.create(LauncherIT.class);
        RedisFixture redis = RedisFixture.create(LauncherIT.class)) {
      createCoupon(db, 7);
      int api = ServerProcess.freePort();
      int management = ServerProcess.freePort();
      Path log = TestSettings.workDir().resolve("launcher-gateway.log");
      Files.createDirectories(log.getParent());
      ProcessBuilder builder =
          new ProcessBuilder("bash", LAUNCHER.toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      builder.environment().keySet().removeIf(k -> k.startsWith("COUPON_"));
      builder
          .environment()
          .putAll(
              Map.of(
                  "JAVA_HOME", System.getProperty("java.home"),
                  "COUPON_JAVA_OPTS", "-Xmx96m -Xms96m -XX:+UseParallelGC -XX:-AlwaysPreTouch",
                  "COUPON_HTTP_PORT", Integer.toString(api),
                  "COUPON_MANAGEMENT_PORT", Integer.toString(management),
                  "COUPON_JDBC_URL", db.settings().url(),
                  "COUPON_REDIS_URI", TestSettings.redisUri(),
                  "COUPON_REDIS_PREFIX", redis.prefix()));
      Process gateway = builder.start();
      try {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        awaitReady(http, gateway, management, log);

        // bash exec'd the JVM: the launcher's pid is the gateway's, with the options applied.
        List<String> arguments =
            List.of(ProcessHandle.of(gateway.pid()).orElseThrow().info().arguments().orElseThrow());
        assertThat(arguments)
            .contains("-Xmx96m", "-XX:+UseParallelGC", "-XX:-AlwaysPreTouch")
            .doesNotContain("-XX:+UseSerialGC", "-Xmx512m", "-XX:+AlwaysPreTouch");
        String metrics = get(http, management, "/metrics").body();
        double heapMax = 0;
        boolean parallelOldGen = false;
        for (Matcher m = HEAP_MAX.matcher(metrics); m.find(); ) {
          heapMax += Math.max(0, Double.parseDouble(m.group(2)));
          parallelOldGen |= m.group(1).equals("PS Old Gen");
        }
        assertThat(parallelOldGen).as("the JVM runs the Parallel collector").isTrue();
        assertThat(heapMax).isBetween(64.0 * (1 << 20), 96.0 * (1 << 20));

        HttpResponse<String> redeemed =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + api + "/v1/redemptions"))
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", "launcher-1")
                    .POST(
                        HttpRequest.BodyPublishers.ofString(
                            GatewayFixture.redeemBody(7, "u-1", "o-1", 1_000)))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(redeemed.statusCode()).isEqualTo(201);

        gateway.destroy();
        assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(gateway.exitValue()).isZero();
        assertThat(db.queryLong("SELECT COUNT(*) FROM redemption WHERE coupon_id = 7"))
            .isEqualTo(1);
        assertThat(Files.readString(log))
            .contains("couponflow-gateway: memory", "-Xmx96m -Xms96m -XX:+UseParallelGC");
      } finally {
        gateway.destroyForcibly();
      }
    }
  }

  private static void createCoupon(TestDatabase db, long id) {
    Instant now = Instant.now();
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class)
          .insert(
              new Coupon(
                  id,
                  "coupon " + id,
                  100,
                  1,
                  0,
                  100,
                  now.minusSeconds(60),
                  now.plusSeconds(3600),
                  CouponStatus.ACTIVE,
                  false,
                  Coupon.bucketsFor(100),
                  1));
    }
  }

  private static void awaitReady(HttpClient http, Process gateway, int port, Path log)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        if (get(http, port, "/health/ready").statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!gateway.isAlive()) {
        throw new IllegalStateException(
            "the gateway exited with " + gateway.exitValue() + ": " + Files.readString(log));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the gateway was not ready in 60 s: " + log);
      }
      Thread.sleep(100);
    }
  }

  private static HttpResponse<String> get(HttpClient http, int port, String path)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * A directory standing in for / (COUPONFLOW_LAUNCHER_ROOTFS): /proc/meminfo with {@code
   * memTotalKb}, and when {@code cgroup} is given, /proc/self/cgroup and a memory limit in the
   * cgroup version's file at the path /proc/self/cgroup names.
   */
  private static Path fakeRoot(
      String name, String cgroup, String version, String limit, long memTotalKb)
      throws IOException {
    Path root = Path.of("target", "launcher-rootfs", name).toAbsolutePath();
    Files.createDirectories(root.resolve("proc/self"));
    Files.createDirectories(root.resolve("sys/fs/cgroup"));
    Files.writeString(root.resolve("proc/meminfo"), "MemTotal:       " + memTotalKb + " kB\n");
    if (cgroup != null) {
      Files.writeString(root.resolve("proc/self/cgroup"), cgroup);
      if (version.equals("v2")) {
        Files.writeString(root.resolve("sys/fs/cgroup/cgroup.controllers"), "cpu memory\n");
        String path = cgroup.trim().substring("0::".length());
        Path dir = root.resolve("sys/fs/cgroup" + path);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("memory.max"), limit);
      } else {
        Path dir = root.resolve("sys/fs/cgroup/memory/docker/abc");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("memory.limit_in_bytes"), limit);
      }
    }
    return root;
  }

  private static List<String> printCommand(Path root, Map<String, String> env) throws Exception {
    ProcessBuilder builder = new ProcessBuilder("bash", LAUNCHER.toString(), "--print-command");
    builder.environment().remove("COUPON_JAVA_OPTS");
    builder.environment().put("COUPONFLOW_LAUNCHER_ROOTFS", root.toString());
    builder.environment().putAll(env);
    Process p = builder.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(err).isZero();
    return List.of(out.split("\n"));
  }
}
