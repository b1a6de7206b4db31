package dev.crossalign.backend;

/**
 * Gives the process's freed native memory back to the system. libtorch, ONNX Runtime and TFLite allocate through the
 * C library's malloc, which keeps what a run freed in its arenas (and, past a first large free, serves large buffers
 * from them instead of fresh mappings): between a validation's legs that was 100-150 MB of pose_landmark_heavy's peak
 * RSS (benchmarks/README.md). Called when a leg's run has let go of its tensors.
 */
public final class NativeMemory {
  private NativeMemory() {}

  /** malloc_trim(0) on glibc (JavaCPP's {@code Pointer.trimMemory}); a no-op where the C library has none. */
  public static void trim() {
    try {
      org.bytedeco.javacpp.Pointer.trimMemory();
    } catch (UnsatisfiedLinkError | NoClassDefFoundError e) {
      // JavaCPP's natives not loadable here: nothing to give back through them
    }
  }
}
