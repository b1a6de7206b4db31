package dev.crossalign.port;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * glibc malloc's thresholds for large buffers, which libtorch's CPU allocator (posix_memalign per tensor) goes
 * through. By default glibc serves a buffer above its mmap threshold (128 KiB, raised on the fly by frees) with a fresh
 * mapping, and gives the top of a thread's arena back to the system above its trim threshold; a run of the generated
 * graph frees its activations as it goes, so the next run faults every page in again. On pose_landmark_full that was
 * about 3,000 page faults and 50-80 ms of CPU per 25 ms run, and whether it happened depended on what the process had
 * freed before (the unexplained 83-107 ms against 34.7 ms of benchmarks/README.md). Fixed thresholds keep buffers of
 * up to {@link #MMAP_THRESHOLD} in the arenas and up to {@link #TRIM_THRESHOLD} of free top per arena, so a warm run
 * reuses the previous run's pages. Process-wide and for the rest of the process: set for latency runs only (bench);
 * an explicit {@code malloc_trim} ({@link dev.crossalign.backend.NativeMemory#trim}) still gives everything back.
 */
final class MallocArenas {
  /** glibc's mallopt parameter numbers (malloc.h). */
  private static final int M_TRIM_THRESHOLD = -1;

  private static final int M_MMAP_THRESHOLD = -3;
  /** The largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2). */
  static final int MMAP_THRESHOLD = 32 << 20;

  static final int TRIM_THRESHOLD = 64 << 20;

  private static volatile Map<String, String> applied = Map.of();

  private MallocArenas() {}

  /**
   * Sets both thresholds once; returns what is in force (keys mmap_threshold and trim_threshold, in bytes, or "unset"
   * with the reason where the C library has no mallopt or refuses).
   */
  static synchronized Map<String, String> keepLargeBuffers() {
    if (!applied.isEmpty()) {
      return applied;
    }
    Map<String, String> m = new LinkedHashMap<>();
    try {
      Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
      m.put("mmap_threshold", set(mallopt, M_MMAP_THRESHOLD, MMAP_THRESHOLD));
      m.put("trim_threshold", set(mallopt, M_TRIM_THRESHOLD, TRIM_THRESHOLD));
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      // not glibc (no mallopt): the C library's own policy stays
      m.put("mmap_threshold", "unset (" + e.getClass().getSimpleName() + ")");
      m.put("trim_threshold", "unset (" + e.getClass().getSimpleName() + ")");
    }
    applied = java.util.Collections.unmodifiableMap(m);
    return applied;
  }

  /** What {@link #keepLargeBuffers} left in force; empty before it ran. */
  static Map<String, String> applied() {
    return applied;
  }

  private static String set(Function mallopt, int param, int value) {
    return mallopt.invokeInt(new Object[] {param, value}) == 1 ? Integer.toString(value) : "unset (refused)";
  }
}
