package io.couponflow.bench.load;

/** What makes the closed-loop HTTP loads (S1, S4, S6, H). */
public enum LoadTool {
  /** wrk when it is installed, else the Java client. */
  AUTO,
  WRK,
  JAVA;

  /** AUTO decided for this machine; the others as they are. */
  public LoadTool resolve() {
    if (this == AUTO) {
      return Wrk.available() ? WRK : JAVA;
    }
    return this;
  }
}
