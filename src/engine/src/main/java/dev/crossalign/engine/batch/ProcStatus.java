package dev.crossalign.engine.batch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Fields of /proc/PID/status (Linux) in kB: VmHWM (peak resident set), VmRSS; 0 where there is no /proc. */
final class ProcStatus {
  private ProcStatus() {}

  static long kb(long pid, String field) {
    Path p = Path.of("/proc", Long.toString(pid), "status");
    try {
      for (String line : Files.readAllLines(p)) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or the process is gone
    }
    return 0;
  }

  /**
   * This process's CPU time so far, user + system over all its threads, living and ended (ns; the JVM reads it with
   * times(2), so in clock ticks, 10 ms on Linux); -1 where the platform does not say.
   */
  static long processCpuNanos() {
    if (java.lang.management.ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** A /proc/meminfo field in kB (MemTotal, MemAvailable), 0 when unreadable. */
  static long meminfoKb(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return 0;
  }
}
