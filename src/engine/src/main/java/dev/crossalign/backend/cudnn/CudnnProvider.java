package dev.crossalign.backend.cudnn;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Backend;
import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendProvider;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Capability;
import dev.crossalign.backend.Device;

/**
 * cuDNN: a real probe (natives load, a CUDA device visible), but no whole-model backend: cuDNN runs the conv layers
 * of determinism --conv-algos and gpu-check, so {@link #open} refuses with that answer.
 */
public final class CudnnProvider implements BackendProvider {
  @Override
  public BackendKind kind() {
    return BackendKind.CUDNN;
  }

  @Override
  public Capability probe(Device device) {
    if (!device.isCuda()) {
      return Capability.unavailable(kind(), device, "cuDNN runs on a CUDA device only");
    }
    try {
      Cudnn.require();
      return Capability.available(kind(), device);
    } catch (CrossalignException e) {
      return Capability.unavailable(kind(), device, e.getMessage());
    }
  }

  @Override
  public Backend open(BackendSpec spec) {
    throw CrossalignException.unsupported("cuDNN runs single conv layers (determinism --conv-algos), not whole"
        + " models: " + spec.model().label() + " cannot be opened on it");
  }
}
