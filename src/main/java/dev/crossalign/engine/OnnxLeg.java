package dev.crossalign.engine;

import dev.crossalign.align.AlignmentResult;
import dev.crossalign.align.Comparison;
import dev.crossalign.align.UnsupportedOp;
import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.TfliteModel;
import java.util.List;
import java.util.Map;

/** The ONNX hop of a validation: export the port, run it in ONNX Runtime, compare on every pair. */
final class OnnxLeg {
  private OnnxLeg() {}

  static void run(
      TfliteModel model,
      ValidationRequest req,
      Activations reference,
      Map<String, HostTensor> inputs,
      Map<String, Activations> acts,
      List<Comparison> comparisons,
      List<UnsupportedOp> unsupported,
      List<String> notes,
      Map<String, Double> timing,
      Map<String, String> config) {
    unsupported.add(new UnsupportedOp("onnxruntime", 1, "the ONNX exporter is not built yet"));
  }
}
