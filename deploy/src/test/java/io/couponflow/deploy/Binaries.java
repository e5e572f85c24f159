package io.couponflow.deploy;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/** The Prometheus binaries the tests run: Debian's {@code prometheus} package has both. */
final class Binaries {
  private Binaries() {}

  static String prometheus() {
    return find("prometheus");
  }

  static String promtool() {
    return find("promtool");
  }

  private static String find(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, name);
      if (Files.isExecutable(candidate)) {
        return candidate.toString();
      }
    }
    throw new IllegalStateException(
        name
            + " is not on the PATH: install the Debian package prometheus"
            + " (apt-get install -y prometheus; ops/dev test does it when run as root)");
  }
}
