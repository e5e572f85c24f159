package io.couponflow.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.couponflow.config.Env;
import io.couponflow.gateway.GatewayConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobSpec;
import io.fabric8.kubernetes.api.model.batch.v1.PodFailurePolicyRule;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests in {@code deploy/k8s}, parsed strictly, held against the code: the
 * ports, probe paths and grace periods against the gateway's configuration, every variable against
 * the README's configuration table and the contract, every variable the code reads against the
 * ConfigMap and Secret, the images against what Jib builds.
 */
class ManifestsTest {
  /**
   * Names CONTRACT.md's 2026-12 additions give that the README's table does not list yet: the
   * security work adds them to the code and the table. Checked against CONTRACT.md when the
   * checkout has it beside it.
   */
  private static final Set<String> CONTRACT_ADDITIONS =
      Set.of(
          "COUPON_REDIS_USER",
          "COUPON_REDIS_PASSWORD",
          "COUPON_REDIS_TLS_CA_FILE",
          "COUPON_REDIS_TLS_CERT_FILE",
          "COUPON_REDIS_TLS_KEY_FILE",
          "COUPON_JDBC_TLS",
          "COUPON_JDBC_TLS_CA_FILE",
          "COUPON_OPERATOR");

  private static final Pattern JIB_IMAGE =
      Pattern.compile("<couponflow\\.image\\.name>([^<]+)</couponflow\\.image\\.name>");

  private final Manifests manifests = Manifests.load(Repo.path("deploy/k8s"));
  private final ConfigMap config = manifests.one(ConfigMap.class, "couponflow-config");
  private final Secret secret = manifests.one(Secret.class, "couponflow-secrets");
  private final Deployment gateway = manifests.one(Deployment.class, "couponflow-gateway");

  @Test
  void kustomization_listsEveryManifest_andNothingElse() {
    assertThat(manifests.kustomization().kind()).isEqualTo("Kustomization");
    assertThat(manifests.kustomization().resources())
        .containsExactlyInAnyOrderElementsOf(manifests.byFile().keySet());
  }

  @Test
  void envNames_areDocumentedInTheReadmeOrTheContract() {
    Set<String> documented = new TreeSet<>(Repo.readmeConfigurationNames());
    documented.addAll(CONTRACT_ADDITIONS);

    assertThat(envNamesInManifests()).isSubsetOf(documented);
  }

  @Test
  void contractAdditions_areNamedByTheContract() {
    Repo.contract()
        .ifPresent(
            contract -> assertThat(Repo.couponNamesIn(contract)).containsAll(CONTRACT_ADDITIONS));
  }

  @Test
  void configMapAndSecret_holdEveryVariableTheCodeReads() {
    Set<String> provided = new TreeSet<>(config.getData().keySet());
    provided.addAll(secretKeys());
    provided.addAll(containerEnvNames());

    Set<String> read = Repo.namesTheCodeReads();

    assertThat(read).as("names found in the code").contains("COUPON_SHUTDOWN_GRACE");
    assertThat(provided).containsAll(read);
  }

  @Test
  void secret_holdsThePasswords_andTheConfigMapNone() {
    assertThat(secretKeys()).contains("COUPON_JDBC_PASSWORD", "COUPON_REDIS_PASSWORD");
    assertThat(config.getData().keySet()).noneMatch(k -> k.contains("PASSWORD"));
  }

  @Test
  void configMap_isAValidGatewayConfiguration() {
    GatewayConfig parsed = GatewayConfig.from(Env.of(deployedEnv()));

    assertThat(parsed.shutdownGrace()).isPositive();
  }

  @Test
  void ports_matchTheConfiguration_andTheProbesHitTheManagementPort() {
    GatewayConfig defaults = GatewayConfig.from(Env.of(Map.of()));
    GatewayConfig deployed = GatewayConfig.from(Env.of(deployedEnv()));
    Container c = onlyContainer(gateway.getSpec().getTemplate());

    assertThat(deployed.httpPort()).isEqualTo(defaults.httpPort());
    assertThat(deployed.managementPort()).isEqualTo(defaults.managementPort());
    assertThat(port(c, "http")).isEqualTo(deployed.httpPort());
    assertThat(port(c, "management")).isEqualTo(deployed.managementPort());

    assertThat(probePath(c.getReadinessProbe())).isEqualTo("/health/ready");
    assertThat(probePath(c.getLivenessProbe())).isEqualTo("/health/live");
    assertThat(probePath(c.getStartupProbe())).isEqualTo("/health/live");
    for (Probe probe : List.of(c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe())) {
      assertThat(resolve(c, probe.getHttpGet().getPort())).isEqualTo(deployed.managementPort());
    }
    Map<String, String> annotations =
        gateway.getSpec().getTemplate().getMetadata().getAnnotations();
    assertThat(annotations)
        .containsEntry("prometheus.io/port", Integer.toString(deployed.managementPort()))
        .containsEntry("prometheus.io/path", "/metrics");
  }

  @Test
  void listenAddresses_areNotLoopback_soProbesAndTheServiceReachThePod() throws Exception {
    GatewayConfig deployed = GatewayConfig.from(Env.of(deployedEnv()));

    assertThat(InetAddress.getByName(deployed.managementHost()).isLoopbackAddress()).isFalse();
    assertThat(InetAddress.getByName(config.getData().get("COUPON_HTTP_HOST")).isLoopbackAddress())
        .isFalse();
    // Off loopback the API must have TLS, or say plainly that it goes without (CONTRACT.md).
    boolean tls = !config.getData().get("COUPON_HTTP_TLS_CERT_FILE").isBlank();
    boolean plaintextAllowed = config.getData().get("COUPON_HTTP_ALLOW_PLAINTEXT").equals("true");
    assertThat(tls || plaintextAllowed).isTrue();
    if (tls) {
      Container c = onlyContainer(gateway.getSpec().getTemplate());
      assertThat(config.getData().get("COUPON_HTTP_TLS_CERT_FILE"))
          .startsWith(mountPath(c, "tls") + "/");
      assertThat(config.getData().get("COUPON_HTTP_TLS_KEY_FILE"))
          .startsWith(mountPath(c, "tls") + "/");
    }
  }

  @Test
  void gracePeriod_outlastsThePreStopSleepAndTheShutdownGrace() {
    Duration grace = GatewayConfig.from(Env.of(deployedEnv())).shutdownGrace();
    PodSpec pod = gateway.getSpec().getTemplate().getSpec();
    Container c = onlyContainer(gateway.getSpec().getTemplate());
    List<String> preStop = c.getLifecycle().getPreStop().getExec().getCommand();
    assertThat(preStop).hasSize(2).first().isEqualTo("sleep");
    long preStopSeconds = Long.parseLong(preStop.get(1));

    assertThat(pod.getTerminationGracePeriodSeconds())
        .as(
            "terminationGracePeriodSeconds > COUPON_SHUTDOWN_GRACE %s + preStop sleep %ds",
            grace, preStopSeconds)
        .isGreaterThan(grace.toSeconds() + preStopSeconds);
  }

  @Test
  void selectors_matchTheGatewayPods() {
    Map<String, String> podLabels = gateway.getSpec().getTemplate().getMetadata().getLabels();
    Service service = manifests.one(Service.class, "couponflow-gateway");
    PodDisruptionBudget pdb = manifests.one(PodDisruptionBudget.class, "couponflow-gateway");
    Map<String, String> antiAffinity =
        gateway
            .getSpec()
            .getTemplate()
            .getSpec()
            .getAffinity()
            .getPodAntiAffinity()
            .getPreferredDuringSchedulingIgnoredDuringExecution()
            .get(0)
            .getPodAffinityTerm()
            .getLabelSelector()
            .getMatchLabels();

    assertThat(podLabels).containsAllEntriesOf(gateway.getSpec().getSelector().getMatchLabels());
    assertThat(podLabels).containsAllEntriesOf(service.getSpec().getSelector());
    assertThat(podLabels).containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
    assertThat(podLabels).containsAllEntriesOf(antiAffinity);
    ServicePort api = service.getSpec().getPorts().get(0);
    assertThat(resolve(onlyContainer(gateway.getSpec().getTemplate()), api.getTargetPort()))
        .isEqualTo(GatewayConfig.from(Env.of(deployedEnv())).httpPort());
    assertThat(gateway.getSpec().getReplicas()).isGreaterThan(pdbMaxUnavailable(pdb));
  }

  @Test
  void gateway_hasResourcesThatSizeItsJvm() {
    Container c = onlyContainer(gateway.getSpec().getTemplate());
    long memory = bytes(c.getResources().getLimits().get("memory"));

    assertThat(bytes(c.getResources().getRequests().get("memory"))).isEqualTo(memory);
    assertThat(c.getResources().getLimits()).containsKey("cpu");
    // The launcher gives the heap half the limit, at most 512m; the rest is the JVM's own.
    long heap = Math.min(512L << 20, memory / 2);
    assertThat(heap).isGreaterThanOrEqualTo(256L << 20);
    assertThat(c.getEnv())
        .filteredOn(e -> e.getName().equals("COUPON_JAVA_OPTS"))
        .allMatch(e -> e.getValue() == null || e.getValue().isBlank());
  }

  @Test
  void everyContainer_hasAMemoryLimit_andRunsAsTheImagesNonRootUser() {
    for (PodTemplateSpec template : templates()) {
      PodSpec pod = template.getSpec();
      assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
      assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
      for (Container c : pod.getContainers()) {
        assertThat(c.getResources().getLimits()).containsKey("memory");
        assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      }
    }
  }

  @Test
  void preheatCronJob_neverOverlaps_andHonoursTheExitCodes() {
    CronJob cron = manifests.one(CronJob.class, "couponflow-preheat");
    JobSpec job = cron.getSpec().getJobTemplate().getSpec();
    Container c = onlyContainer(job.getTemplate());

    assertThat(cron.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
    assertThat(job.getTemplate().getSpec().getRestartPolicy()).isEqualTo("Never");
    assertThat(job.getBackoffLimit()).isPositive();
    assertThat(actionFor(job, c.getName(), 1)).as("exit 1: failed, no retry").isEqualTo("FailJob");
    assertThat(actionFor(job, c.getName(), 2)).as("exit 2: partial, retry").isEqualTo("Count");
    assertThat(c.getImage()).isEqualTo("couponflow/preheat");
    assertThat(mountPath(c, "snapshot"))
        .isEqualTo(Path.of(config.getData().get("COUPON_PREHEAT_SNAPSHOT")).getParent().toString());
  }

  @Test
  void migrationJob_runsDbMigrate() {
    Job job = manifests.one(Job.class, "couponflow-db-migrate");
    Container c = onlyContainer(job.getSpec().getTemplate());

    assertThat(c.getImage()).isEqualTo("couponflow/ops");
    assertThat(c.getArgs()).containsExactly("db", "migrate");
  }

  @Test
  void images_areTheOnesJibBuilds_taggedWithTheProjectVersion() throws Exception {
    Set<String> built = new TreeSet<>();
    for (String module : List.of("gateway", "preheat-job", "ops")) {
      Matcher m = JIB_IMAGE.matcher(Repo.read(Repo.path(module + "/pom.xml")));
      assertThat(m.find()).as(module + "/pom.xml names its image").isTrue();
      built.add(m.group(1));
    }
    Set<String> used = new TreeSet<>();
    for (PodTemplateSpec template : templates()) {
      template.getSpec().getContainers().forEach(c -> used.add(c.getImage()));
    }

    assertThat(used).isEqualTo(built);
    assertThat(manifests.kustomization().images())
        .allSatisfy(i -> assertThat(i.newTag()).isEqualTo(System.getProperty("couponflow.version")))
        .extracting(Manifests.ImageOverride::name)
        .containsExactlyInAnyOrderElementsOf(built);
  }

  @Test
  void strictParsing_refusesAFieldTheApiDoesNotHave() throws Exception {
    Path broken = Path.of("target", "broken-manifests", "deployment.yaml");
    Files.createDirectories(broken.getParent());
    Files.writeString(
        broken,
        Repo.read(Repo.path("deploy/k8s/gateway-deployment.yaml"))
            .replace("readinessProbe:", "readinesProbe:"));

    Throwable refused =
        org.assertj.core.api.Assertions.catchThrowable(() -> Manifests.parse(broken));

    assertThat(refused).hasMessageContaining("readinesProbe");
  }

  // ---- helpers

  /**
   * The environment a gateway pod gets from the ConfigMap and Secret, less the file paths: those
   * files exist only where the pod mounts them, not where this test runs. The API's TLS files stay:
   * the configuration takes only their paths (the gateway reads them when it starts), and without
   * them the API would have no TLS off loopback, which the configuration refuses.
   */
  private Map<String, String> deployedEnv() {
    Map<String, String> env = new HashMap<>(config.getData());
    secretKeys().forEach(k -> env.putIfAbsent(k, ""));
    env.replaceAll((k, v) -> k.endsWith("_FILE") && !k.startsWith("COUPON_HTTP_TLS_") ? "" : v);
    return env;
  }

  private Set<String> secretKeys() {
    Set<String> keys = new TreeSet<>();
    if (secret.getStringData() != null) {
      keys.addAll(secret.getStringData().keySet());
    }
    if (secret.getData() != null) {
      keys.addAll(secret.getData().keySet());
    }
    return keys;
  }

  private List<PodTemplateSpec> templates() {
    List<PodTemplateSpec> all = new ArrayList<>();
    manifests.all(Deployment.class).forEach(d -> all.add(d.getSpec().getTemplate()));
    manifests.all(Job.class).forEach(j -> all.add(j.getSpec().getTemplate()));
    manifests
        .all(CronJob.class)
        .forEach(c -> all.add(c.getSpec().getJobTemplate().getSpec().getTemplate()));
    return all;
  }

  private Set<String> containerEnvNames() {
    Set<String> names = new TreeSet<>();
    for (PodTemplateSpec t : templates()) {
      for (Container c : t.getSpec().getContainers()) {
        if (c.getEnv() != null) {
          c.getEnv().stream().map(EnvVar::getName).forEach(names::add);
        }
      }
    }
    return names;
  }

  private Set<String> envNamesInManifests() {
    Set<String> names = new TreeSet<>(config.getData().keySet());
    names.addAll(secretKeys());
    names.addAll(containerEnvNames());
    return names;
  }

  private static Container onlyContainer(PodTemplateSpec template) {
    assertThat(template.getSpec().getContainers()).hasSize(1);
    return template.getSpec().getContainers().get(0);
  }

  private static int port(Container c, String name) {
    return c.getPorts().stream()
        .filter(p -> name.equals(p.getName()))
        .map(ContainerPort::getContainerPort)
        .findFirst()
        .orElseThrow(() -> new AssertionError("container " + c.getName() + " has no port " + name));
  }

  private static int resolve(Container c, IntOrString port) {
    return port.getStrVal() != null ? port(c, port.getStrVal()) : port.getIntVal();
  }

  private static String probePath(Probe probe) {
    assertThat(probe).isNotNull();
    return probe.getHttpGet().getPath();
  }

  private static String mountPath(Container c, String volume) {
    return c.getVolumeMounts().stream()
        .filter(m -> m.getName().equals(volume))
        .findFirst()
        .orElseThrow(() -> new AssertionError(c.getName() + " does not mount " + volume))
        .getMountPath();
  }

  private static String actionFor(JobSpec job, String container, int exitCode) {
    for (PodFailurePolicyRule rule : job.getPodFailurePolicy().getRules()) {
      var codes = rule.getOnExitCodes();
      if (codes != null
          && container.equals(codes.getContainerName())
          && codes.getOperator().equals("In")
          && codes.getValues().contains(exitCode)) {
        return rule.getAction();
      }
    }
    return "(no rule)";
  }

  private static int pdbMaxUnavailable(PodDisruptionBudget pdb) {
    IntOrString max = pdb.getSpec().getMaxUnavailable();
    assertThat(max).as("the PDB uses maxUnavailable").isNotNull();
    return max.getIntVal();
  }

  private static long bytes(Quantity q) {
    return Quantity.getAmountInBytes(q).longValueExact();
  }
}
