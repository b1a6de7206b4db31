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
