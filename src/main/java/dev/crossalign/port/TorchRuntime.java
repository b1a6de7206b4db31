package dev.crossalign.port;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import org.bytedeco.pytorch.global.torch;

/** Process-wide libtorch settings: threads, seeds, device availability. */
public final class TorchRuntime {
  private TorchRuntime() {}

  public static synchronized void configure(Device device, DeterminismConfig config) {
    try {
      if (config.intraOpThreads() > 0) {
        torch.set_num_threads(config.intraOpThreads());
      }
      torch.manual_seed(config.seed());
      org.bytedeco.pytorch.Context ctx = torch.globalContext();
      ctx.setDeterministicCuDNN(config.cudnnDeterministic());
      ctx.setBenchmarkCuDNN(config.cudnnBenchmark());
      ctx.setAllowTF32CuDNN(config.allowTf32Cudnn());
      // cuBLAS TF32 is what torch.backends.cuda.matmul.allow_tf32 sets: matmul precision "high" vs "highest"
      ctx.setFloat32MatmulPrecision(config.allowTf32Cublas() ? "high" : "highest");
      ctx.setDeterministicAlgorithms(config.deterministicAlgorithms(), config.deterministicWarnOnly());
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

  /** Seeds the CUDA generators too, once a CUDA device is known to be there. */
  public static void seedCuda(long seed) {
    torch.cuda_manual_seed_all(seed);
  }

  public static String version() {
    return "2.10.0";
  }
}
