package dev.crossalign.port;

import org.bytedeco.pytorch.global.torch.DeviceType;

/** Maps the engine's Device to libtorch's. */
final class TorchDevices {
  private TorchDevices() {}

  static org.bytedeco.pytorch.Device of(dev.crossalign.backend.Device d) {
    return d.isCuda()
        ? new org.bytedeco.pytorch.Device(DeviceType.CUDA, (byte) d.index())
        : new org.bytedeco.pytorch.Device(DeviceType.CPU);
  }
}
