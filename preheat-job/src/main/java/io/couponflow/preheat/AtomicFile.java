package io.couponflow.preheat;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A file replaced in one step: written to a temporary file in the same folder, then moved over the
 * final path, so a reader never sees half of it (the snapshot, the metrics file).
 */
final class AtomicFile {
  private AtomicFile() {}

  /**
   * A new empty file {@code prefix*suffix} in {@code path}'s folder, which is created if needed.
   */
  static Path temporaryNextTo(Path path, String prefix, String suffix) throws IOException {
    Path dir = path.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    return Files.createTempFile(dir, prefix, suffix);
  }

  /** Moves {@code temporary} over {@code path}, atomically where the file system can. */
  static void moveIntoPlace(Path temporary, Path path) throws IOException {
    try {
      Files.move(
          temporary, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temporary, path, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
