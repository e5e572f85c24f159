package io.couponflow.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Files of the repository the deploy tests hold against each other. */
final class Repo {
  private static final Pattern COUPON_NAME = Pattern.compile("COUPON_[A-Z0-9_]+[A-Z0-9]");
  private static final Pattern STRING_LITERAL_NAME =
      Pattern.compile("\"(COUPON_[A-Z0-9_]+[A-Z0-9])\"");

  /** The modules whose processes run in the images (the bench does not). */
  private static final String[] PIECES = {"sql", "lua", "sink", "gateway", "preheat-job", "ops"};

  private Repo() {}

  static Path root() {
    return Path.of(System.getProperty("couponflow.repo.root", "..")).toAbsolutePath().normalize();
  }

  static Path path(String relative) {
    return root().resolve(relative);
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The variables of the README's configuration table (its first column). */
  static Set<String> readmeConfigurationNames() {
    String readme = read(path("README.md"));
    int start = readme.indexOf("\n## Configuration");
    if (start < 0) {
      throw new IllegalStateException("README.md has no '## Configuration' section");
    }
    int end = readme.indexOf("\n## ", start + 1);
    Set<String> names = new TreeSet<>();
    for (String line : readme.substring(start, end < 0 ? readme.length() : end).split("\n")) {
      if (line.startsWith("| `COUPON_")) {
        String firstCell = line.substring(1, line.indexOf('|', 1));
        names.addAll(matches(COUPON_NAME, firstCell, 0));
      }
    }
    return names;
  }

  /**
   * The shared contract, when this checkout has it beside it (CI's fresh clone has {@code
   * ../shared}; a worktree under {@code wt/} has it one level further up).
   */
  static Optional<String> contract() {
    for (String candidate : new String[] {"../shared/CONTRACT.md", "../../shared/CONTRACT.md"}) {
      Path file = root().resolve(candidate).normalize();
      if (Files.isRegularFile(file)) {
        return Optional.of(read(file));
      }
    }
    return Optional.empty();
  }

  static Set<String> couponNamesIn(String text) {
    return matches(COUPON_NAME, text, 0);
  }

  /**
   * Every COUPON_* variable the pieces' code names: string literals in their main Java sources and
   * {@code ${COUPON_...}} in their resources (logback), less the words of the Redis contract that
   * merely look like one ({@code COUPON_NOT_FOUND} is a reply of the Lua library, not a setting).
   */
  static Set<String> namesTheCodeReads() {
    Set<String> replyWords =
        couponNamesIn(read(path("lua/src/main/resources/io/couponflow/lua/couponflow.lua")));
    Set<String> names = new TreeSet<>();
    for (String module : PIECES) {
      Path main = path(module + "/src/main");
      try (Stream<Path> files = Files.walk(main)) {
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          String name = file.getFileName().toString();
          if (name.endsWith(".java")) {
            names.addAll(matches(STRING_LITERAL_NAME, read(file), 1));
          } else if (name.endsWith(".xml")) {
            names.addAll(matches(Pattern.compile("\\$\\{(COUPON_[A-Z0-9_]+)"), read(file), 1));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    names.removeAll(replyWords);
    return names;
  }

  private static Set<String> matches(Pattern pattern, String text, int group) {
    Set<String> found = new TreeSet<>();
    for (Matcher m = pattern.matcher(text); m.find(); ) {
      found.add(m.group(group));
    }
    return found;
  }
}
