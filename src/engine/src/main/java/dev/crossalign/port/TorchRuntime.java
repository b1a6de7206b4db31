package dev.crossalign.port;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import org.bytedeco.pytorch.global.torch;

/** Process-wide libtorch settings: threads, seeds, device availability. */
public final class TorchRuntime {
  private TorchRuntime() {}

  /** What the last {@link #configure} left in force, for the report's config; empty before the first call. */
  private static volatile java.util.Map<String, String> threads = java.util.Map.of();

  public static synchronized void configure(Device device, DeterminismConfig config) {
    beforeLoad();
    try {
      if (config.intraOpThreads() > 0) {
        applyThreads(config.intraOpThreads());
      }
      torch.manual_seed(config.seed());
      org.bytedeco.pytorch.Context ctx = torch.globalContext();
      ctx.setDeterministicCuDNN(config.cudnnDeterministic());
      ctx.setBenchmarkCuDNN(config.cudnnBenchmark());
      ctx.setAllowTF32CuDNN(config.allowTf32Cudnn());
      // cuBLAS TF32 is what torch.backends.cuda.matmul.allow_tf32 sets: matmul precision "high" vs "highest"
      ctx.setFloat32MatmulPrecision(config.allowTf32Cublas() ? "high" : "highest");
      ctx.setDeterministicAlgorithms(config.deterministicAlgorithms(), config.deterministicWarnOnly());
      // NNPACK off: ATen would pick it only at batch >= 16 (after oneDNN), but this libtorch asks _nnpack_available()
      // on every conv and, where NNPACK cannot start ("Unsupported hardware"), logs a warning each time: 80 lines a
      // run of face_detection_short_range, each a write(2) that NativeLog's reader thread then parses
      ctx.setUserEnabledNNPACK(false);
    } catch (UnsatisfiedLinkError e) {
      throw new CrossalignException(
          CrossalignException.Kind.ENVIRONMENT, "libtorch native library could not be loaded: " + e.getMessage());
    }
    if (device.isCuda()) {
      boolean available;
      try {
        available = torch.cuda_is_available();
      } catch (Throwable e) {
        available = false;
      }
      if (!available) {
        throw new CrossalignException(
            CrossalignException.Kind.ENVIRONMENT,
            "--device " + device + ": libtorch sees no CUDA device (this build is CPU-only unless built with -Pgpu,"
                + " and a GPU driver and CUDA runtime must be present)");
      }
      seedCuda(config.seed());
    }
  }

  /**
   * Every CPU pool libtorch's ops use, to {@code n}: ATen's intra-op pool (which is also OpenMP's, and so oneDNN's,
   * in this OpenMP build), the inter-op pool (settable once per process, before any inter-op work: a second value is
   * refused and the pool keeps the first), and OpenBLAS's own pool, which ATen leaves alone.
   */
  private static void applyThreads(int n) {
    torch.set_num_threads(n);
    if (torch.get_num_interop_threads() != n) {
      try {
        torch.set_num_interop_threads(n);
      } catch (RuntimeException e) {
        // already started or already set once: what it has is recorded below
      }
    }
    java.util.Map<String, String> m = new java.util.LinkedHashMap<>();
    m.put("intra_op", Integer.toString(torch.get_num_threads()));
    m.put("inter_op", Long.toString(torch.get_num_interop_threads()));
    for (String lib : OpenBlasThreads.set(n)) {
      int eq = lib.indexOf('=');
      m.put(lib.substring(0, eq), lib.substring(eq + 1));
    }
    threads = java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Keeps large native buffers in malloc's arenas from run to run ({@link
   * dev.crossalign.backend.NativeMemory#keepLargeBuffers}): for latency runs, whose
   * every run would otherwise fault its activations' pages in afresh. Process-wide, once; returns what is in force.
   */
  public static java.util.Map<String, String> keepLargeBuffers() {
    return dev.crossalign.backend.NativeMemory.keepLargeBuffers();
  }

  /**
   * What the torch providers do before opening a port: the environment libtorch reads at load ({@link #beforeLoad})
   * and, for latency runs, malloc's thresholds ({@link #keepLargeBuffers}).
   */
  public static void beforeOpen(dev.crossalign.backend.BackendSpec.Purpose purpose) {
    beforeLoad();
    if (purpose == dev.crossalign.backend.BackendSpec.Purpose.LATENCY) {
      keepLargeBuffers();
    }
    fillUninitializedMemory(purpose != dev.crossalign.backend.BackendSpec.Purpose.LATENCY);
  }

  /**
   * Whether libtorch fills every fresh tensor with NaN while deterministic algorithms are on
   * (torch.utils.deterministic.fill_uninitialized_memory, on by default with them): kept for validation, where a
   * kernel reading memory it never wrote then shows as NaN, and switched off for latency runs, where it cost about 9%
   * of face_detection_short_range's torch run at one thread (every activation, conv output and F.pad result written
   * twice; perf profile in benchmarks/README.md). Every kernel the generated code calls writes its whole output, so
   * the outputs are the same bits either way (LatencySettingsTest). Process-wide: the last open's purpose decides.
   */
  static void fillUninitializedMemory(boolean fill) {
    try {
      torch.globalContext().setDeterministicFillUninitializedMemory(fill);
    } catch (UnsatisfiedLinkError e) {
      // libtorch cannot load: configure() reports that as the environment error it is
    }
  }

  /** Whether fresh tensors are NaN-filled now (see {@link #fillUninitializedMemory}). */
  public static boolean fillsUninitializedMemory() {
    return torch.globalContext().deterministicFillUninitializedMemory();
  }

  /**
   * What must be in the C environment before libtorch loads, because its libraries read it only then: OpenMP's wait
   * policy ({@link OpenMpWaitPolicy}). Call before anything touches libtorch; later calls change nothing.
   */
  public static void beforeLoad() {
    OpenMpWaitPolicy.passiveUnlessSet();
  }

  /**
   * The kernel set each loaded OpenBLAS copy runs ({@link OpenBlasCore}), and the environment's pin when there is one:
   * for example "openblas=Haswell, openblas_nolapack=Haswell; pinned by OPENBLAS_CORETYPE=Haswell"; null when no
   * OpenBLAS is loaded.
   */
  public static String openBlas() {
    java.util.Map<String, String> cores = OpenBlasCore.cores();
    if (cores.isEmpty()) {
      return null;
    }
    String s = cores.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(java.util.stream.Collectors.joining(", "));
    String pin = OpenBlasCore.pinned();
    return pin == null ? s : s + "; pinned by " + OpenBlasCore.VARIABLE + "=" + pin;
  }

  /** What {@link #keepLargeBuffers} set (keys mmap_threshold, trim_threshold); empty when it was not called. */
  public static java.util.Map<String, String> malloc() {
    return dev.crossalign.backend.NativeMemory.largeBufferThresholds();
  }

  /**
   * The thread counts in force in libtorch's pools as the libraries report them (keys intra_op, inter_op, openblas,
   * openblas_nolapack).
   */
  public static java.util.Map<String, String> threads() {
    return threads;
  }

  /** Seeds the CUDA generators too, once a CUDA device is known to be there. */
  public static void seedCuda(long seed) {
    torch.cuda_manual_seed_all(seed);
  }

  public static String version() {
    return "2.10.0";
  }
}
