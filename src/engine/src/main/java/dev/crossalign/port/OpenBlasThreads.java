package dev.crossalign.port;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.Loader;

/**
 * OpenBLAS's own thread pool, which libtorch's single-threaded 1x1 convolutions and matmuls go through (THNN's
 * im2col + gemm path) and which {@code at::set_num_threads} does not reach. The JavaCPP presets load two OpenBLAS
 * copies: {@code libopenblas.so.0}, the one libtorch_cpu links, and {@code libopenblas_nolapack.so.0}, the one
 * {@code blas_set_num_threads} of the openblas preset finds first by symbol. Each is a pthreads build whose workers
 * busy-wait, so with the default (one per core) a loaded machine makes a 0.05 ms conv take tens of milliseconds. Both
 * copies are set here, each by its own handle.
 */
final class OpenBlasThreads {
  private static final String[] LIBRARIES = {"openblas@.0", "openblas_nolapack@.0"};

  private OpenBlasThreads() {}

  /**
   * Sets every loaded OpenBLAS copy to {@code n} threads and returns what each now reports (library name and
   * threads); an empty list when none is loaded. Must run after libtorch is loaded.
   */
  static List<String> set(int n) {
    List<String> applied = new ArrayList<>();
    loadedCopies().forEach((name, path) -> {
      try {
        NativeLibrary lib = NativeLibrary.getInstance(path);
        Function setter = lib.getFunction("openblas_set_num_threads");
        Function getter = lib.getFunction("openblas_get_num_threads");
        setter.invokeVoid(new Object[] {n});
        applied.add(name + "=" + getter.invokeInt(new Object[0]));
      } catch (UnsatisfiedLinkError | RuntimeException e) {
        // an OpenBLAS without these entry points (not a 0.3.x build): leave it and say so in the config
        applied.add(name + "=unset (" + e.getClass().getSimpleName() + ")");
      }
    });
    return applied;
  }

  /**
   * The OpenBLAS copies JavaCPP has loaded, in {@link #LIBRARIES} order: the short name (openblas, openblas_nolapack)
   * and the file's path; empty when none is loaded.
   */
  static Map<String, String> loadedCopies() {
    Map<String, String> copies = new LinkedHashMap<>();
    Map<String, String> loaded = Loader.getLoadedLibraries();
    for (String name : LIBRARIES) {
      String path = loaded.get(name);
      if (path != null) {
        copies.put(name.substring(0, name.indexOf('@')), path);
      }
    }
    return copies;
  }
}
