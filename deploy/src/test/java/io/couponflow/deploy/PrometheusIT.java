package io.couponflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.couponflow.model.Coupon;
import io.couponflow.model.CouponStatus;
import io.couponflow.sql.CouponMapper;
import io.couponflow.testkit.RedisFixture;
import io.couponflow.testkit.ServerProcess;
import io.couponflow.testkit.TestDatabase;
import io.couponflow.testkit.TestSettings;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ibatis.session.SqlSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The alert rules and the dashboard against a real Prometheus scraping a real gateway: the gateway
 * runs as a user runs it (the launcher and the built jar) against the test Redis and MySQL with a
 * database and key prefix of its own, under a short mixed load (accepts, a sold-out coupon, an
 * unknown coupon, overload 503s); a private Prometheus on a free port, with its data under target/,
 * scrapes it every second and evaluates the rules. Then every dashboard query, every recording rule
 * and every series an alert reads must return data through {@code /api/v1/query}: a metric renamed
 * in the code, or a typo in a query, leaves one empty and fails the test.
 */
class PrometheusIT {
  private static final Duration DATA_DEADLINE = Duration.ofSeconds(40);
  private static final Duration LOAD_LIMIT = Duration.ofSeconds(90);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private static TestDatabase db;
  private static RedisFixture redis;
  private static Process gateway;
  private static Process prometheus;
  private static int apiPort;
  private static int managementPort;
  private static int prometheusPort;
  private static ExecutorService load;
  private static final AtomicBoolean stopLoad = new AtomicBoolean();
  private static final AtomicLong requests = new AtomicLong();

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create(PrometheusIT.class);
    redis = RedisFixture.create(PrometheusIT.class);
    createCoupon(1, 1_000_000);
    createCoupon(2, 5);
    startGateway();
    startPrometheus();
    startLoad();
  }

  @AfterAll
  static void stop() throws Exception {
    stopLoad.set(true);
    if (load != null) {
      load.shutdown();
      load.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (prometheus != null) {
      prometheus.destroy();
      if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly();
      }
    }
    if (gateway != null) {
      gateway.destroy();
      if (!gateway.waitFor(30, TimeUnit.SECONDS)) {
        gateway.destroyForcibly();
      }
    }
    if (redis != null) {
      redis.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @Test
  void everyDashboardQueryAndRuleExpression_returnsDataFromARealGateway() throws Exception {
    Map<String, String> queries = new LinkedHashMap<>();
    dashboardQueries(queries);
    Map<String, String> mustBeValid = new LinkedHashMap<>();
    ruleQueries(queries, mustBeValid);

    long started = System.nanoTime();
    long deadline = started + DATA_DEADLINE.toNanos();
    Map<String, String> empty = new LinkedHashMap<>(queries);
    while (!empty.isEmpty() && System.nanoTime() < deadline) {
      empty.entrySet().removeIf(e -> resultCount(query(e.getValue())) > 0);
      if (!empty.isEmpty()) {
        Thread.sleep(500);
      }
    }
    for (Map.Entry<String, String> e : mustBeValid.entrySet()) {
      assertThat(query(e.getValue()).path("status").asText()).as(e.getKey()).isEqualTo("success");
    }
    System.out.printf(
        "PrometheusIT: %d queries evaluated (%d more checked for validity), %d requests sent; data"
            + " after %.1f s%n",
        queries.size(), mustBeValid.size(), requests.get(), (System.nanoTime() - started) / 1e9);
    assertThat(empty).as("queries that returned no data within " + DATA_DEADLINE).isEmpty();

    JsonNode rules = get(prometheus("/api/v1/rules"));
    List<String> unhealthy = new ArrayList<>();
    for (JsonNode group : rules.path("data").path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        if (!rule.path("health").asText().equals("ok")) {
          unhealthy.add(rule.path("name").asText() + ": " + rule.path("lastError").asText());
        }
      }
    }
    assertThat(unhealthy).as("rules Prometheus could not evaluate").isEmpty();
  }

  @Test
  void theDeploymentsProbesAndScrapePath_answerOnTheRealGateway() throws Exception {
    Deployment deployment =
        Manifests.load(Repo.path("deploy/k8s")).one(Deployment.class, "couponflow-gateway");
    Container c = deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
    String scrapePath =
        deployment.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/path");

    for (String path :
        List.of(
            c.getReadinessProbe().getHttpGet().getPath(),
            c.getLivenessProbe().getHttpGet().getPath(),
            c.getStartupProbe().getHttpGet().getPath(),
            scrapePath)) {
      HttpResponse<String> r = send(management(path));
      assertThat(r.statusCode()).as(path).isEqualTo(200);
    }
  }

  // ---- the queries

  /** Every target of every panel, and the series behind each template variable. */
  private static void dashboardQueries(Map<String, String> out) throws IOException {
    JsonNode dashboard = JSON.readTree(Repo.path("deploy/grafana/couponflow.json").toFile());
    List<JsonNode> panels = new ArrayList<>();
    dashboard.path("panels").forEach(panels::add);
    dashboard.path("panels").forEach(p -> p.path("panels").forEach(panels::add));
    for (JsonNode panel : panels) {
      for (JsonNode target : panel.path("targets")) {
        String expr = target.path("expr").asText();
        out.put(
            "dashboard '" + panel.path("title").asText() + "' " + target.path("refId").asText(),
            grafanaToPromQl(expr));
      }
    }
    assertThat(out).as("dashboard queries").hasSizeGreaterThanOrEqualTo(20);
    for (JsonNode variable : dashboard.path("templating").path("list")) {
      String q = variable.path("query").path("query").asText(variable.path("query").asText());
      if (q.startsWith("label_values(")) {
        String metric = q.substring("label_values(".length(), q.indexOf(','));
        String label = q.substring(q.indexOf(',') + 1, q.lastIndexOf(')')).trim();
        out.put(
            "variable " + variable.path("name").asText(),
            "count by (" + label + ") (" + metric + ")");
      }
    }
  }

  /**
   * Recording rules: the expression and the recorded series must return data. Alerts: the
   * expression must be valid (it is empty while the alert does not fire) and every series it reads
   * must return data.
   */
  private static void ruleQueries(Map<String, String> out, Map<String, String> valid)
      throws IOException {
    JsonNode rules =
        new YAMLMapper().readTree(Repo.path("deploy/prometheus/couponflow-rules.yml").toFile());
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        String expr = rule.path("expr").asText();
        if (rule.has("record")) {
          out.put("recording rule " + rule.path("record").asText(), expr);
          out.put("recorded series " + rule.path("record").asText(), rule.path("record").asText());
        } else {
          String alert = rule.path("alert").asText();
          valid.put("alert " + alert, expr);
          List<String> selectors = PromQl.selectors(expr);
          assertThat(selectors).as(alert + " reads some series").isNotEmpty();
          for (String selector : selectors) {
            out.put("alert " + alert + " reads " + selector, selector);
          }
        }
      }
    }
  }

  /** Grafana's variables, as a dashboard with every gateway selected expands them. */
  static String grafanaToPromQl(String expr) {
    return expr.replace("$__rate_interval", "15s")
        .replace("$__interval", "5s")
        .replace("$instance", ".*");
  }

  private static JsonNode query(String promql) {
    return get(
        prometheus("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)));
  }

  private static int resultCount(JsonNode answer) {
    if (!answer.path("status").asText().equals("success")) {
      return 0;
    }
    JsonNode result = answer.path("data").path("result");
    return answer.path("data").path("resultType").asText().equals("scalar") ? 1 : result.size();
  }

  // ---- the gateway, Prometheus and the load

  private static void createCoupon(long id, long stock) {
    Instant now = Instant.now();
    try (SqlSession s = db.database().sessions().openSession(true)) {
      s.getMapper(CouponMapper.class)
          .insert(
              new Coupon(
                  id,
                  "coupon " + id,
                  stock,
                  1,
                  0,
                  100,
                  now.minusSeconds(60),
                  now.plusSeconds(3600),
                  CouponStatus.ACTIVE,
                  false,
                  Coupon.bucketsFor(stock),
                  1));
    }
  }

  private static void startGateway() throws Exception {
    apiPort = ServerProcess.freePort();
    managementPort = ServerProcess.freePort();
    Path log = TestSettings.workDir().resolve("prometheus-it-gateway.log");
    Files.createDirectories(log.getParent());
    ProcessBuilder builder =
        new ProcessBuilder("bash", System.getProperty("couponflow.gateway.launcher"))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("COUPON_"));
    builder
        .environment()
        .putAll(
            Map.of(
                "JAVA_HOME", System.getProperty("java.home"),
                // a small young generation, so that collections happen within the test
                "COUPON_JAVA_OPTS", "-Xms128m -Xmx128m -Xmn32m",
                "COUPON_HTTP_PORT", Integer.toString(apiPort),
                "COUPON_MANAGEMENT_PORT", Integer.toString(managementPort),
                // one request at a time: the concurrent load also meets 503 UNAVAILABLE
                "COUPON_HTTP_MAX_IN_FLIGHT", "1",
                "COUPON_JDBC_URL", db.settings().url(),
                "COUPON_REDIS_URI", TestSettings.redisUri(),
                "COUPON_REDIS_PREFIX", redis.prefix()));
    gateway = builder.start();
    awaitOk(management("/health/ready"), gateway, log);
  }

  private static void startPrometheus() throws Exception {
    prometheusPort = ServerProcess.freePort();
    Path dir = Path.of("target", "prometheus-it").toAbsolutePath();
    Path data = dir.resolve("data-" + ProcessHandle.current().pid());
    Files.createDirectories(data);
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(
        config,
        String.join(
            "\n",
            "global:",
            "  scrape_interval: 1s",
            "  evaluation_interval: 1s",
            "rule_files:",
            "  - " + Repo.path("deploy/prometheus/couponflow-rules.yml"),
            "scrape_configs:",
            "  - job_name: couponflow-gateway",
            "    metrics_path: /metrics",
            "    static_configs:",
            "      - targets: ['127.0.0.1:" + managementPort + "']",
            ""));
    Path log = dir.resolve("prometheus.log");
    prometheus =
        new ProcessBuilder(
                Binaries.prometheus(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + data,
                "--storage.tsdb.retention.time=1h",
                "--web.listen-address=127.0.0.1:" + prometheusPort,
                "--log.level=warn")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    awaitOk(prometheus("/-/ready"), prometheus, log);
  }

  /** Four clients, bounded in time: accepts, a sold-out coupon, an unknown one, reads. */
  private static void startLoad() {
    load = Executors.newFixedThreadPool(4);
    long until = System.nanoTime() + LOAD_LIMIT.toNanos();
    for (int t = 0; t < 4; t++) {
      int client = t;
      load.execute(
          () -> {
            long n = 0;
            while (!stopLoad.get() && System.nanoTime() < until) {
              n++;
              String id = client + "-" + n;
              int dice = ThreadLocalRandom.current().nextInt(100);
              long coupon = dice < 80 ? 1 : dice < 92 ? 2 : 999;
              try {
                if (dice >= 97) {
                  send(api("/v1/coupons/1"));
                } else {
                  HTTP.send(
                      HttpRequest.newBuilder(api("/v1/redemptions"))
                          .header("Content-Type", "application/json")
                          .header("Idempotency-Key", "k-" + id)
                          .POST(
                              HttpRequest.BodyPublishers.ofString(
                                  "{\"couponId\":"
                                      + coupon
                                      + ",\"userId\":\"u-"
                                      + id
                                      + "\",\"orderId\":\"o-"
                                      + id
                                      + "\",\"orderAmountCents\":1000}"))
                          .build(),
                      HttpResponse.BodyHandlers.discarding());
                }
                requests.incrementAndGet();
                Thread.sleep(3);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
              } catch (IOException e) {
                // the gateway is stopping
              }
            }
          });
    }
  }

  private static void awaitOk(URI uri, Process process, Path log) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        if (send(uri).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            uri
                + ": the process exited with "
                + process.exitValue()
                + ": "
                + Files.readString(log));
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(uri + " did not answer 200 in 60 s; see " + log);
      }
      Thread.sleep(100);
    }
  }

  private static URI api(String path) {
    return URI.create("http://127.0.0.1:" + apiPort + path);
  }

  private static URI management(String path) {
    return URI.create("http://127.0.0.1:" + managementPort + path);
  }

  private static URI prometheus(String pathAndQuery) {
    return URI.create("http://127.0.0.1:" + prometheusPort + pathAndQuery);
  }

  private static HttpResponse<String> send(URI uri) throws IOException {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }

  private static JsonNode get(URI uri) {
    try {
      return JSON.readTree(send(uri).body());
    } catch (IOException e) {
      throw new IllegalStateException(uri + ": " + e.getMessage(), e);
    }
  }
}
