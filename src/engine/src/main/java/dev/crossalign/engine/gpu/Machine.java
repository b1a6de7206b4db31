package dev.crossalign.engine.gpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the JVM can say about the machine it runs on, for the check's JSON. */
final class Machine {
  private Machine() {}

  /** The first "model name" of /proc/cpuinfo with the core count, or the OS architecture when unreadable. */
  static String cpuName() {
    int cores = Runtime.getRuntime().availableProcessors();
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          int colon = line.indexOf(':');
          return line.substring(colon + 1).strip() + " (" + cores + " cores)";
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: fall through
    }
    return System.getProperty("os.arch") + " (" + cores + " cores)";
  }
}
