package io.couponflow.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/** The OpenAPI document the gateway ships ({@code openapi.yaml}), read for tests. */
public final class OpenApiDoc {
  private final JsonNode root;

  private OpenApiDoc(JsonNode root) {
    this.root = root;
  }

  public static OpenApiDoc load() {
    try (InputStream in = OpenApiDoc.class.getResourceAsStream("/openapi.yaml")) {
      if (in == null) {
        throw new IllegalStateException("openapi.yaml is not on the classpath");
      }
      return new OpenApiDoc(new YAMLMapper().readTree(in));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public JsonNode root() {
    return root;
  }

  /** Path template -> its methods, upper case. */
  public Map<String, Set<String>> operations() {
    Map<String, Set<String>> operations = new TreeMap<>();
    root.get("paths")
        .properties()
        .forEach(
            path -> {
              Set<String> methods = new TreeSet<>();
              path.getValue().fieldNames().forEachRemaining(m -> methods.add(m.toUpperCase()));
              operations.put(path.getKey(), methods);
            });
    return operations;
  }

  /**
   * One operation's answers: status -> error codes (empty for a success status).
   *
   * @param method upper case
   */
  public Map<Integer, Set<String>> answers(String template, String method) {
    JsonNode responses =
        root.path("paths").path(template).path(method.toLowerCase()).path("responses");
    if (responses.isMissingNode()) {
      throw new IllegalArgumentException("no operation " + method + " " + template);
    }
    return byStatus(responses, true);
  }

  /** The answers any request may get: status -> error codes. */
  public Map<Integer, Set<String>> transportAnswers() {
    return byStatus(root.path("x-transport-errors").path("responses"), false);
  }

  /** The schema's property names of a component schema. */
  public Set<String> properties(String schema) {
    Set<String> names = new TreeSet<>();
    root.path("components")
        .path("schemas")
        .path(schema)
        .path("properties")
        .fieldNames()
        .forEachRemaining(names::add);
    return names;
  }

  /** The schema's required property names. */
  public Set<String> required(String schema) {
    Set<String> names = new TreeSet<>();
    root.path("components")
        .path("schemas")
        .path(schema)
        .path("required")
        .forEach(n -> names.add(n.asText()));
    return names;
  }

  /** Whether a response with this status and error code (null for none) is documented. */
  public boolean documents(String template, String method, int status, String code) {
    Set<String> codes = answers(template, method).get(status);
    if (codes != null && (code == null ? codes.isEmpty() : codes.contains(code))) {
      return true;
    }
    Set<String> transport = transportAnswers().get(status);
    return code != null && transport != null && transport.contains(code);
  }

  private static Map<Integer, Set<String>> byStatus(JsonNode responses, boolean operation) {
    Map<Integer, Set<String>> answers = new TreeMap<>();
    for (Map.Entry<String, JsonNode> e : responses.properties()) {
      Set<String> codes = new TreeSet<>();
      JsonNode list = operation ? e.getValue().path("x-error-codes") : e.getValue();
      list.forEach(c -> codes.add(c.asText()));
      answers.put(Integer.parseInt(e.getKey()), codes);
    }
    return answers;
  }
}
