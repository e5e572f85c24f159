package io.couponflow.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The manifests in {@code deploy/k8s}, parsed strictly into fabric8's typed Kubernetes model: one
 * resource per file, each kind mapped to its class by {@code apiVersion} and {@code kind}, and no
 * field the model does not know anywhere in the tree (fabric8 keeps unknown fields in {@code
 * additionalProperties} instead of failing, so every object's are checked to be empty). The
 * kustomization is read into a record of its own, just as strictly.
 */
final class Manifests {
  /** The kinds this base uses, by {@code apiVersion/kind}. */
  private static final Map<String, Class<? extends HasMetadata>> KINDS =
      Map.of(
          "v1/ConfigMap", ConfigMap.class,
          "v1/Secret", Secret.class,
          "v1/Service", Service.class,
          "v1/PersistentVolumeClaim", PersistentVolumeClaim.class,
          "apps/v1/Deployment", Deployment.class,
          "batch/v1/Job", Job.class,
          "batch/v1/CronJob", CronJob.class,
          "policy/v1/PodDisruptionBudget", PodDisruptionBudget.class);

  private static final ObjectMapper YAML =
      YAMLMapper.builder(new YAMLFactory())
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .build();
  private static final ObjectMapper JSON = JsonMapper.builder().build();

  /** The kustomization: only the fields this base uses, anything else is refused. */
  record Kustomization(
      String apiVersion, String kind, List<String> resources, List<ImageOverride> images) {}

  /** One {@code images} entry of the kustomization. */
  record ImageOverride(String name, String newName, String newTag) {}

  private final Path dir;
  private final Map<String, HasMetadata> byFile = new LinkedHashMap<>();
  private final Kustomization kustomization;

  private Manifests(Path dir) {
    this.dir = dir;
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        if (name.equals("kustomization.yaml")) {
          continue;
        }
        if (!name.endsWith(".yaml")) {
          throw new IllegalStateException(file + ": manifests end in .yaml");
        }
        byFile.put(name, parse(file));
      }
      this.kustomization =
          YAML.readValue(dir.resolve("kustomization.yaml").toFile(), Kustomization.class);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir + ": " + e.getMessage(), e);
    }
  }

  static Manifests load(Path dir) {
    return new Manifests(dir);
  }

  /** Parses one manifest file strictly; the message names the file and what is wrong. */
  static HasMetadata parse(Path file) {
    String text = Repo.read(file);
    if (text.lines().anyMatch(l -> l.equals("---"))) {
      throw new IllegalStateException(file + ": one resource per file (found '---')");
    }
    try {
      JsonNode tree = YAML.readTree(text);
      String key = tree.path("apiVersion").asText() + "/" + tree.path("kind").asText();
      Class<? extends HasMetadata> type = KINDS.get(key);
      if (type == null) {
        throw new IllegalStateException(file + ": unexpected apiVersion/kind " + key);
      }
      HasMetadata resource = JSON.treeToValue(tree, type);
      List<String> unknown = new ArrayList<>();
      unknownFields(resource, type.getSimpleName(), unknown);
      if (!unknown.isEmpty()) {
        throw new IllegalStateException(
            file + ": fields the Kubernetes API does not have: " + String.join(", ", unknown));
      }
      return resource;
    } catch (IOException e) {
      throw new IllegalStateException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Collects the paths of every non-empty {@code additionalProperties} in a fabric8 object tree.
   */
  private static void unknownFields(Object node, String path, List<String> found) {
    if (node == null) {
      return;
    }
    if (node instanceof Map<?, ?> map) {
      map.forEach((k, v) -> unknownFields(v, path + "[" + k + "]", found));
      return;
    }
    if (node instanceof Collection<?> items) {
      int i = 0;
      for (Object item : items) {
        unknownFields(item, path + "[" + i++ + "]", found);
      }
      return;
    }
    if (!node.getClass().getName().startsWith("io.fabric8.")) {
      return;
    }
    for (Class<?> c = node.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
      for (Field field : c.getDeclaredFields()) {
        if (Modifier.isStatic(field.getModifiers())) {
          continue;
        }
        field.setAccessible(true);
        Object value;
        try {
          value = field.get(node);
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
        if (field.getName().equals("additionalProperties")) {
          if (value instanceof Map<?, ?> extra && !extra.isEmpty()) {
            extra.keySet().forEach(k -> found.add(path + "." + k));
          }
        } else {
          unknownFields(value, path + "." + field.getName(), found);
        }
      }
    }
  }

  Path dir() {
    return dir;
  }

  Map<String, HasMetadata> byFile() {
    return byFile;
  }

  Kustomization kustomization() {
    return kustomization;
  }

  <T extends HasMetadata> List<T> all(Class<T> type) {
    return byFile.values().stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T extends HasMetadata> T one(Class<T> type, String name) {
    return all(type).stream()
        .filter(r -> r.getMetadata().getName().equals(name))
        .findFirst()
        .orElseThrow(
            () ->
                new AssertionError("no " + type.getSimpleName() + " named " + name + " in " + dir));
  }
}
