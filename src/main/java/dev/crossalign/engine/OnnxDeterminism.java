package dev.crossalign.engine;

import dev.crossalign.backend.DeterminismConfig;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.onnx.OrtBackend;
import dev.crossalign.backend.onnx.OrtOptions;
import dev.crossalign.port.onnx.ExportOptions;
import dev.crossalign.port.onnx.Exporter;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;

/** The ONNX Runtime leg of the determinism lab: exports the port once, then repeats ORT runs under the config. */
final class OnnxDeterminism {
  private OnnxDeterminism() {}

  static DeterminismLab.BackendResult run(
      TfliteModel m, Device device, DeterminismConfig config, Map<String, HostTensor> inputs, int repeat, Map<String, String> cfg,
      java.util.function.Consumer<String> onRun) {
    try (OrtBackend ort = OrtBackend.open(Exporter.export(m, ExportOptions.DEFAULT).model(), OrtOptions.from(config, device))) {
      ort.info().forEach((k, v) -> cfg.put(k.startsWith("onnxruntime") ? k : "onnxruntime." + k, v));
      return DeterminismLab.repeatRuns(ort, inputs, repeat, onRun);
    }
  }
}
