package dev.crossalign.engine;

import dev.crossalign.CrossalignException;
import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;

/** The ONNX Runtime leg of the determinism lab: exports the port and repeats ORT runs. */
final class OnnxDeterminism {
  private OnnxDeterminism() {}

  static DeterminismLab.BackendResult run(
      TfliteModel m, Device device, DeterminismConfig config, Map<String, HostTensor> inputs, int repeat, Map<String, String> cfg) {
    throw CrossalignException.unsupported("onnxruntime in the determinism lab needs the ONNX exporter, not in this build yet");
  }
}
