package io.couponflow.bench.rig;

/** Sleeping that turns an interrupt into an exception the bench stops on. */
public final class Sleep {
  private Sleep() {}

  public static void millis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
