package io.couponflow.bench.rig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of the processes taking part in a scenario, read from {@code /proc/<pid>/stat} (Linux):
 * the evidence for where a redemption's CPU goes on a machine whose cores the gateway, Redis, MySQL
 * and the load generator share. The bench's own process counts its user and system time plus that
 * of the children it waited for (wrk, redis-benchmark).
 *
 * <p>Thread-safety: one thread uses it.
 */
public final class CpuMeter {
  private static final double TICKS_PER_SECOND = 100.0;

  private final Map<String, Long> pids = new LinkedHashMap<>();

  /** Adds a process to watch; a pid of 0 or less is ignored. */
  public CpuMeter watch(String name, long pid) {
    if (pid > 0 && Files.isReadable(stat(pid))) {
      pids.put(name, pid);
    }
    return this;
  }

  /** CPU seconds so far, per process. */
  public Map<String, Double> sample() {
    Map<String, Double> seconds = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : pids.entrySet()) {
      seconds.put(e.getKey(), read(e.getValue(), e.getValue() == ProcessHandle.current().pid()));
    }
    return seconds;
  }

  /** Microseconds of CPU per unit of work between two samples, per process. */
  public static CpuUsage perUnit(
      Map<String, Double> before, Map<String, Double> after, long units) {
    Map<String, Double> micros = new LinkedHashMap<>();
    for (Map.Entry<String, Double> e : after.entrySet()) {
      Double start = before.get(e.getKey());
      if (start == null || units <= 0) {
        continue;
      }
      micros.put(e.getKey(), (e.getValue() - start) * 1e6 / units);
    }
    return new CpuUsage(micros);
  }

  private static Path stat(long pid) {
    return Path.of("/proc", Long.toString(pid), "stat");
  }

  private static double read(long pid, boolean withChildren) {
    try {
      String s = Files.readString(stat(pid));
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      if (withChildren) {
        ticks += Long.parseLong(f[13]) + Long.parseLong(f[14]);
      }
      return ticks / TICKS_PER_SECOND;
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
  }
}
