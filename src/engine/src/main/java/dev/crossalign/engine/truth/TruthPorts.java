package dev.crossalign.engine.truth;

import dev.crossalign.backend.BackendKind;
import dev.crossalign.backend.BackendSpec;
import dev.crossalign.backend.Backends;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.StreamingBackend;
import dev.crossalign.port.PortOptions;
import dev.crossalign.tflite.TfliteModel;

/**
 * The torch ports the truth lab runs, opened through the torch provider like every other backend (issue 14, item 1):
 * the float64 truth ({@link PortOptions#FLOAT64}) and the float32 port, both on the CPU with every tensor captured.
 * The caller owns (and closes) what these return.
 */
final class TruthPorts {
  private TruthPorts() {}

  /** The port in float64 on the CPU: each op's truth, isolated runs only. */
  static StreamingBackend float64(TfliteModel model, DeterminismConfig config) {
    return Backends.open(BackendKind.TORCH, spec(model, config).withOptions(PortOptions.FLOAT64),
        StreamingBackend.class);
  }

  /** The float32 port on the CPU, as validate runs it. */
  static StreamingBackend float32(TfliteModel model, DeterminismConfig config) {
    return Backends.open(BackendKind.TORCH, spec(model, config), StreamingBackend.class);
  }

  private static BackendSpec spec(TfliteModel model, DeterminismConfig config) {
    return new BackendSpec(model, null, Device.CPU, config, BackendSpec.Purpose.CAPTURE);
  }
}
