package io.couponflow.preheat;

/**
 * What a run has done so far, by outcome.
 *
 * <p>Thread-safety: not thread-safe; only the loading thread writes it.
 */
final class Tally {
  /** Created in Redis (not live before). */
  long loaded;

  /** Live in Redis already with this definition or a newer one; nothing changed. */
  long alreadyLive;

  /** Live in Redis with an older definition, now refreshed. */
  long updated;

  /** Of {@link #updated}: those whose total stock changed, applied as a delta. */
  long restocked;

  /**
   * Not loaded: refused by Redis, missing from MySQL, a definition no reader can take (skipped), or
   * absent from Redis on a snapshot run.
   */
  long failed;

  long done() {
    return loaded + alreadyLive + updated + failed;
  }
}
