package dev.crossalign.port;

import com.sun.jna.NativeLibrary;
import java.util.Map;
import org.bytedeco.javacpp.Loader;

/**
 * The C library's environment (not Java's read-only copy of it at start-up) and the libraries mapped into the
 * process: what a native runtime that reads a variable once, when it is loaded, sees. Used to set such variables
 * before the library loads ({@link OpenMpWaitPolicy}, {@link OpenBlasCore}).
 */
final class ProcessEnvironment {
  private ProcessEnvironment() {}

  /** The variable's value in the C environment now; null when unset. */
  static String get(String variable) {
    return (String) NativeLibrary.getInstance("c").getFunction("getenv").invoke(String.class, new Object[] {variable});
  }

  /** Sets the variable in the C environment (overwriting); true when setenv succeeded. */
  static boolean set(String variable, String value) {
    return NativeLibrary.getInstance("c").getFunction("setenv").invokeInt(new Object[] {variable, value, 1}) == 0;
  }

  /**
   * Whether a library whose file name contains {@code fragment} (for example "libgomp") is mapped into the process:
   * any copy, JavaCPP's or one another library brought in.
   */
  static boolean loaded(String fragment) {
    String bare = fragment.startsWith("lib") ? fragment.substring(3) : fragment;
    for (Map.Entry<String, String> e : Loader.getLoadedLibraries().entrySet()) {
      if (e.getKey().startsWith(bare) || e.getValue().contains(fragment)) {
        return true;
      }
    }
    try (java.util.stream.Stream<String> maps = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/self/maps"))) {
      return maps.anyMatch(l -> l.contains(fragment));
    } catch (java.io.IOException | RuntimeException e) {
      return false; // no /proc (not Linux): JavaCPP's list is all there is
    }
  }
}
