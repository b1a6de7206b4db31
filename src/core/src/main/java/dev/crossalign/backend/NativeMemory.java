package dev.crossalign.backend;

import com.sun.jna.Function;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import java.nio.MappedByteBuffer;
import java.util.Locale;

/**
 * Gives the process's freed native memory back to the system. libtorch, ONNX Runtime and TFLite allocate through the
 * C library's malloc, which keeps what a run freed in its arenas (and, past a first large free, serves large buffers
 * from them instead of fresh mappings): between a validation's legs that was 100-150 MB of pose_landmark_heavy's peak
 * RSS (benchmarks/README.md). Called when a leg's run has let go of its tensors.
 */
public final class NativeMemory {
  /** Linux's MADV_DONTNEED. */
  private static final int MADV_DONTNEED = 4;

  private static final Function MADVISE = madvise();

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
}
