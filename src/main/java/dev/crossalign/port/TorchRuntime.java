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
    }
  }

  public static String version() {
    return "2.10.0";
  }
}
