package dev.crossalign.port;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendProvider;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Capability;
import dev.crossalign.backend.Device;
import org.bytedeco.pytorch.global.torch;

/**
 * The libtorch port of the TFLite graph ({@link PortBackend}). Lives in port, not backend/torch, because the port's
 * op lowerings are what it runs. The probe loads libtorch and, for a CUDA device, asks it for that device.
 */
public final class TorchProvider implements BackendProvider {
  @Override
  public BackendKind kind() {
    return BackendKind.TORCH;
  }

  @Override
  public Capability probe(Device device) {
    TorchRuntime.beforeLoad(); // before the first touch of libtorch, which loads libgomp
    try {
      if (device.isCuda()) {
        if (!torch.cuda_is_available()) {
          return Capability.unavailable(kind(), device, "libtorch sees no CUDA device (this build is CPU-only unless"
              + " built with -Pgpu, and a GPU driver and CUDA runtime must be present)");
        }
        long count = torch.cuda_device_count();
        if (device.index() >= count) {
          return Capability.unavailable(kind(), device, "libtorch sees " + count + " CUDA device(s)");
        }
      } else {
        torch.get_num_threads();
      }
      return Capability.available(kind(), device);
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
      return Capability.unavailable(kind(), device, "libtorch native library could not be loaded: " + e.getMessage());
    }
  }

  @Override
  public Class<PortOptions> optionsType() {
    return PortOptions.class;
  }

  /**
   * The port, prepared for the spec's device and config (both purposes: bench runs it outputs-only itself); in float64
   * when the spec carries {@link PortOptions#FLOAT64} (the CPU only: an unsupported-device error otherwise). For
   * latency runs malloc keeps large buffers ({@link TorchRuntime#beforeOpen}).
   */
  @Override
  public Backend open(BackendSpec spec) {
    TorchRuntime.beforeOpen(spec.purpose());
    PortOptions o = spec.options(PortOptions.class).orElse(PortOptions.FLOAT32);
    if (o.precision() == PortOptions.Precision.FLOAT64) {
      if (spec.device().isCuda()) {
        throw CrossalignException.unsupported("the float64 port runs on the CPU only, not " + spec.device());
      }
      return PortBackend.openFloat64(spec.model(), spec.config());
    }
    return PortBackend.open(spec.model(), spec.device(), spec.config());
  }
}
