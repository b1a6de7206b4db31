package dev.crossalign.backend;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.nio.MappedByteBuffer;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The C library's memory calls, in one place. Mostly it gives the process's freed native memory back to the system
 * ({@link #trim}, {@link #dropPages}); for latency runs it does the opposite ({@link #keepLargeBuffers}). libtorch, ONNX Runtime and TFLite allocate through the
 * C library's malloc, which keeps what a run freed in its arenas (and, past a first large free, serves large buffers
 * from them instead of fresh mappings): between a validation's legs that was 100-150 MB of pose_landmark_heavy's peak
 * RSS (benchmarks/README.md). Called when a leg's run has let go of its tensors.
 */
public final class NativeMemory {
  /** Linux's MADV_DONTNEED. */
  private static final int MADV_DONTNEED = 4;

  private static final Function MADVISE = madvise();

  /** glibc's mallopt parameter numbers (malloc.h). */
  private static final int M_TRIM_THRESHOLD = -1;

  private static final int M_MMAP_THRESHOLD = -3;

  /** The largest mmap threshold glibc accepts on 64-bit (HEAP_MAX_SIZE / 2). */
  public static final int MMAP_THRESHOLD = 32 << 20;

  public static final int TRIM_THRESHOLD = 64 << 20;

  private static volatile Map<String, String> largeBuffers = Map.of();

  private NativeMemory() {}

  /** malloc_trim(0) on glibc (JavaCPP's {@code Pointer.trimMemory}); a no-op where the C library has none. */
  public static void trim() {
    try {
      org.bytedeco.javacpp.Pointer.trimMemory();
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      // JavaCPP's natives not loadable here: nothing to give back through them
    }
  }

  /**
   * Takes the pages of a file mapping out of the process (Linux {@code madvise(MADV_DONTNEED)}): they stop counting
   * in its resident set and the next read maps them again from the page cache, so the data never changes. Safe at
   * any time, also while another thread reads the mapping, for a read-only mapping of a file (what {@link
   * java.nio.channels.FileChannel#map} gives in READ_ONLY mode); {@code map} must be page-aligned and stay reachable
   * for the call. False where the system has no such call (the pages then stay until the mapping goes).
   */
  public static boolean dropPages(MappedByteBuffer map) {
    if (MADVISE == null || map.capacity() == 0) {
      return false;
    }
    int rc = MADVISE.invokeInt(new Object[] {Native.getDirectBufferPointer(map), new NativeLong(map.capacity()),
        MADV_DONTNEED});
    return rc == 0;
  }

  private static Function madvise() {
    if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
      return null; // MADV_DONTNEED means "may be dropped later" elsewhere (macOS): no promise about RSS
    }
    try {
      return Function.getFunction("c", "madvise");
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      return null;
    }
  }

  /**
   * Keeps large native buffers in malloc's arenas from run to run. libtorch's CPU allocator goes through glibc's
   * malloc (posix_memalign per tensor). By default glibc serves a buffer above its mmap threshold (128 KiB, raised on
   * the fly by frees) with a fresh mapping, and gives the top of a thread's arena back to the system above its trim
   * threshold; a run of the generated graph frees its activations as it goes, so the next run faults every page in
   * again. On pose_landmark_full that was about 3,000 page faults and 50-80 ms of CPU per 25 ms run, and whether it
   * happened depended on what the process had freed before. Fixed thresholds keep buffers of up to {@link
   * #MMAP_THRESHOLD} in the arenas and up to {@link #TRIM_THRESHOLD} of free top per arena, so a warm run reuses the
   * previous run's pages. Process-wide and for the rest of the process: for latency runs only (bench); {@link #trim}
   * still gives everything back. Sets both once; returns what is in force: arena_max ({@link #arenaMax}), then
   * mmap_threshold and trim_threshold in bytes, or "unset" with the reason where the C library has no mallopt or
   * refuses. The first entry, allocator, is {@link #allocator()}; where that is not glibc, it is the only one.
   */
  public static synchronized Map<String, String> keepLargeBuffers() {
    if (!largeBuffers.isEmpty()) {
      return largeBuffers;
    }
    Map<String, String> m = new LinkedHashMap<>();
    String allocator = allocator();
    m.put("allocator", allocator);
    if (!GLIBC.equals(allocator)) {
      // a malloc preloaded in glibc's place (the launcher's bench: tcmalloc) keeps its own caches: glibc's arena
      // limit and thresholds would only describe a malloc the natives do not call
      largeBuffers = java.util.Collections.unmodifiableMap(m);
      return largeBuffers;
    }
    m.put("arena_max", arenaMax());
    try {
      Function mallopt = Function.getFunction("c", "mallopt");
      m.put("mmap_threshold", mallopt(mallopt, M_MMAP_THRESHOLD, MMAP_THRESHOLD));
      m.put("trim_threshold", mallopt(mallopt, M_TRIM_THRESHOLD, TRIM_THRESHOLD));
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      // not glibc (no mallopt): the C library's own policy stays
      m.put("mmap_threshold", "unset (" + e.getClass().getSimpleName() + ")");
      m.put("trim_threshold", "unset (" + e.getClass().getSimpleName() + ")");
    }
    largeBuffers = java.util.Collections.unmodifiableMap(m);
    return largeBuffers;
  }

  /** What {@link #allocator()} says when no other malloc library is mapped. */
  public static final String GLIBC = "glibc";

  /** The file names of malloc libraries that replace glibc's when preloaded, and the name bench reports for each. */
  private static final Map<String, String> PRELOADED_MALLOCS =
      Map.of("libtcmalloc", "tcmalloc", "libjemalloc", "jemalloc", "libmimalloc", "mimalloc");

  /**
   * Which malloc serves this process's natives: "tcmalloc (FILE)" (or jemalloc, mimalloc) when such a library is
   * mapped into the process, which on Linux means it was preloaded ({@code LD_PRELOAD}; the launcher's bench does
   * so with gperftools' libtcmalloc_minimal when the machine has it), else {@link #GLIBC}. Read from
   * /proc/self/maps; {@link #GLIBC} where that cannot be read.
   */
  public static String allocator() {
    try {
      return allocator(java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/maps")));
    } catch (java.io.IOException | RuntimeException e) {
      return GLIBC;
    }
  }

  /** {@link #allocator()} from the lines of a maps file. */
  static String allocator(java.util.List<String> maps) {
    for (String line : maps) {
      int slash = line.indexOf('/');
      if (slash < 0) {
        continue;
      }
      String file = line.substring(slash);
      String name = file.substring(file.lastIndexOf('/') + 1);
      for (Map.Entry<String, String> e : PRELOADED_MALLOCS.entrySet()) {
        if (name.startsWith(e.getKey() + ".") || name.startsWith(e.getKey() + "_")) {
          return e.getValue() + " (" + file + ")";
        }
      }
    }
    return GLIBC;
  }

  /**
   * How many malloc arenas glibc may make in this process, as it read them when the process started
   * ({@code MALLOC_ARENA_MAX}, or {@code glibc.malloc.arena_max} in {@code GLIBC_TUNABLES}); "unset" when neither
   * is set (glibc's default: 8 per core). A latency run wants 1. With more, the timed thread can sit on a secondary
   * arena, made of 64 MiB heaps that glibc unmaps as soon as one is wholly free and maps again on the next run's
   * allocations: every run then faults its pages in again. On pose_landmark_full with 2 arenas, 2 of 10 bench processes
   * ran torch at 48-61 ms per run (123-140 thousand page faults per process) against 24-26 ms (86-91 thousand); with 1,
   * 0 of 18 (benchmarks/README.md, "Secondary malloc arenas"). Only the start-up environment counts: glibc sizes its
   * arena limit once, so {@code mallopt(M_ARENA_MAX)} from a running JVM does not move threads that already allocated.
   */
  public static String arenaMax() {
    return arenaMax(System.getenv("GLIBC_TUNABLES"), System.getenv("MALLOC_ARENA_MAX"));
  }

  /** {@link #arenaMax()} from the two variables' values (null when unset); the tunable's when both are set. */
  static String arenaMax(String tunables, String env) {
    if (tunables != null) {
      for (String t : tunables.split(":")) {
        if (t.startsWith("glibc.malloc.arena_max=")) {
          return t.substring(t.indexOf('=') + 1);
        }
      }
    }
    return env == null || env.isEmpty() ? "unset" : env;
  }

  /** What {@link #keepLargeBuffers} left in force; empty before it ran. */
  public static Map<String, String> largeBufferThresholds() {
    return largeBuffers;
  }

  private static String mallopt(Function mallopt, int param, int value) {
    return mallopt.invokeInt(new Object[] {param, value}) == 1 ? Integer.toString(value) : "unset (refused)";
  }
}
