package dev.crossalign.port;

import com.sun.jna.NativeLibrary;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Which kernels OpenBLAS runs libtorch's one-thread 1x1 convolutions and matmuls on, for the backend's config. The
 * presets' OpenBLAS (0.3.31, DYNAMIC_ARCH) picks its kernel set from the CPU when it loads unless {@code
 * OPENBLAS_CORETYPE} names one; an environment that pins an older set makes the torch backend slower without changing
 * a result beyond float rounding. On the development machine, whose image sets {@code OPENBLAS_CORETYPE=Haswell} on
 * an AVX-512 CPU that OpenBLAS would run on its Cooperlake kernels, face_detection_short_range's twenty 1x1-conv GEMM
 * shapes took 0.65-0.91 ms on Haswell's kernels against 0.42-0.54 ms on the AVX-512 ones (benchmarks/README.md). The
 * variable is the user's to set: crossalign reports it and what each copy runs, and changes nothing.
 */
final class OpenBlasCore {
  static final String VARIABLE = "OPENBLAS_CORETYPE";

  private OpenBlasCore() {}

  /** OPENBLAS_CORETYPE in the process's C environment; null when unset (OpenBLAS then picks from the CPU). */
  static String pinned() {
    try {
      return ProcessEnvironment.get(VARIABLE);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return null;
    }
  }

  /**
   * The kernel set each loaded OpenBLAS copy runs on, as it says ({@code openblas_get_corename}): keys openblas and
   * openblas_nolapack; empty when none is loaded.
   */
  static Map<String, String> cores() {
    Map<String, String> m = new LinkedHashMap<>();
    OpenBlasThreads.loadedCopies().forEach((name, path) -> {
      try {
        m.put(name, (String) NativeLibrary.getInstance(path).getFunction("openblas_get_corename")
            .invoke(String.class, new Object[0]));
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        m.put(name, "unknown (" + e.getClass().getSimpleName() + ")");
      }
    });
    return m;
  }
}
