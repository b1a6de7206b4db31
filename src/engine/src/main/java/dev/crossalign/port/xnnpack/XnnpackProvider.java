package dev.crossalign.port.xnnpack;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendProvider;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Capability;
import dev.crossalign.backend.Device;
import dev.crossalign.port.PortBackend;
import dev.crossalign.port.TorchRuntime;
import org.bytedeco.pytorch.global.torch;

/**
 * torch-xnnpack ({@link XnnpackRewrite} on the torch port's generated module). The probe loads libtorch and asks it
 * whether XNNPACK is compiled in and the rewrite's passes are exported; CPU only.
 */
public final class XnnpackProvider implements BackendProvider {
  @Override
  public BackendKind kind() {
    return BackendKind.TORCH_XNNPACK;
  }

  @Override
  public Capability probe(Device device) {
    if (device.isCuda()) {
      return Capability.unavailable(kind(), device, "XNNPACK runs on the CPU only");
    }
    TorchRuntime.beforeLoad(); // before the first touch of libtorch, which loads libgomp
    try {
      torch.get_num_threads();
      String why = XnnpackRewrite.unavailableReason();
      return why == null ? Capability.available(kind(), device) : Capability.unavailable(kind(), device, why);
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
      return Capability.unavailable(kind(), device, "libtorch native library could not be loaded: " + e.getMessage());
    }
  }

  /**
   * As the torch provider's open: for latency runs malloc keeps large buffers ({@link
   * TorchRuntime#keepLargeBuffers}).
   */
  @Override
  public Backend open(BackendSpec spec) {
    TorchRuntime.beforeOpen(spec.purpose());
    return PortBackend.openRewritten(spec.model(), spec.device(), spec.config(), kind(), new XnnpackRewrite());
  }
}
