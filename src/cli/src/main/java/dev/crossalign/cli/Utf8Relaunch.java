package dev.crossalign.cli;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;

/**
 * Non-ASCII paths under a C or POSIX locale. Java 17 takes the encoding of file names and of the command line from
 * the locale (sun.jnu.encoding, which no option overrides): under LC_ALL=C it is ASCII, so an argument such as
 * {@code modèle.tflite} arrives as {@code mod??le.tflite} and no file whose name has a non-ASCII character can be
 * opened at all. When that is the case on Linux and an argument has such characters, crossalign runs itself once
 * more in a child JVM under the C.UTF-8 locale, handing it the original argument bytes (read from /proc/self/cmdline)
 * hex-encoded in a system property, and exits with the child's status. Any other run is left as it is.
 */
final class Utf8Relaunch {
  /** The original arguments of a relaunched JVM, each "x" + the hex of its UTF-8 bytes, comma-separated. */
  static final String ARGV_PROPERTY = "crossalign.argv.hex";

  private Utf8Relaunch() {}

  /** The arguments to run: those the relaunching parent handed over, else {@code args} themselves. */
  static String[] arguments(String[] args) {
    String hex = System.getProperty(ARGV_PROPERTY);
    if (hex == null) {
      return args;
    }
    if (hex.isEmpty()) {
      return new String[0];
    }
    String[] parts = hex.split(",", -1);
    String[] out = new String[parts.length];
    for (int i = 0; i < parts.length; i++) {
      out[i] = new String(HexFormat.of().parseHex(parts[i].substring(1)), StandardCharsets.UTF_8);
    }
    return out;
  }

  /** Runs the child JVM when it is needed (its exit status), else empty. */
  static OptionalInt runIfNeeded(String[] args) {
    if (System.getProperty(ARGV_PROPERTY) != null || args.length == 0 || utf8(System.getProperty("sun.jnu.encoding"))
        || !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return OptionalInt.empty();
    }
    List<byte[]> raw = rawArguments(args.length);
    if (raw == null || raw.stream().noneMatch(Utf8Relaunch::nonAscii)) {
      return OptionalInt.empty();
    }
    List<String> hex = new ArrayList<>();
    raw.forEach(b -> hex.add("x" + HexFormat.of().formatHex(b)));
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-D" + ARGV_PROPERTY + "=")) {
        cmd.add(a);
      }
    }
    cmd.add("-D" + ARGV_PROPERTY + "=" + String.join(",", hex));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(Main.class.getName());
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    pb.environment().put("LC_ALL", "C.UTF-8");
    try {
      Process p = pb.start();
      while (true) {
        try {
          return OptionalInt.of(p.waitFor());
        } catch (InterruptedException e) {
          p.destroy();
        }
      }
    } catch (IOException e) {
      return OptionalInt.empty();
    }
  }

  private static boolean utf8(String encoding) {
    return encoding != null && (encoding.equalsIgnoreCase("UTF-8") || encoding.equalsIgnoreCase("UTF8"));
  }

  private static boolean nonAscii(byte[] b) {
    for (byte x : b) {
      if (x < 0) {
        return true;
      }
    }
    return false;
  }

  /** The last {@code n} entries of this process's argv as bytes (the program's own arguments), or null. */
  private static List<byte[]> rawArguments(int n) {
    byte[] all;
    try {
      all = Files.readAllBytes(Path.of("/proc/self/cmdline"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
    List<byte[]> entries = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] == 0) {
        byte[] e = new byte[i - start];
        System.arraycopy(all, start, e, 0, e.length);
        entries.add(e);
        start = i + 1;
      }
    }
    if (entries.size() < n) {
      return null;
    }
    return entries.subList(entries.size() - n, entries.size());
  }
}
