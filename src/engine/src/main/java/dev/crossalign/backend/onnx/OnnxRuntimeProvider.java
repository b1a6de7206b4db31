package dev.crossalign.backend.onnx;

import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendProvider;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Capability;
import dev.crossalign.backend.Device;

/** ONNX Runtime on the spec's ONNX model. The probe asks the runtime for its CUDA execution provider. */
public final class OnnxRuntimeProvider implements BackendProvider {
  @Override
  public BackendKind kind() {
    return BackendKind.ONNXRUNTIME;
  }

  @Override
  public Capability probe(Device device) {
    try {
      if (device.isCuda() && !OrtBackend.cudaAvailable()) {
        return Capability.unavailable(kind(), device,
            "ONNX Runtime on the class path has no CUDA execution provider; use the onnxruntime_gpu artifact"
                + " (-Donnxruntime.artifact=onnxruntime_gpu) on a machine with CUDA and cuDNN, or --device cpu");
      }
      OrtBackend.runtimeVersion();
      return Capability.available(kind(), device);
    } catch (RuntimeException | UnsatisfiedLinkError | NoClassDefFoundError | ExceptionInInitializerError e) {
      return Capability.unavailable(kind(), device, "cannot start ONNX Runtime: " + e.getMessage());
    }
  }

  @Override
  public Backend open(BackendSpec spec) {
    return OrtBackend.open(spec.onnx().get(), options(spec));
  }

  /**
   * Captures: what the determinism config implies (every intermediate an output, graph optimisations off). Latency:
   * graph outputs only, every graph optimisation, the config's threads intra-op and one inter-op.
   */
  static OrtOptions options(BackendSpec spec) {
    if (spec.purpose() == BackendSpec.Purpose.CAPTURE) {
      return OrtOptions.from(spec.config(), spec.device());
    }
    return OrtOptions.DEFAULT.withCaptureIntermediates(false).withOptLevel(OrtOptions.OptLevel.ALL)
        .withThreads(spec.threads(), 1).withDevice(spec.device());
  }
}
