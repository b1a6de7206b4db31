package dev.crossalign.engine.compare;

import dev.crossalign.backend.Activations;
import dev.crossalign.tensor.HostTensor;
import java.util.List;
import java.util.Map;

/**
 * One of the two things compared: a model that can run (TFLite, ONNX, TorchScript) or tensors captured elsewhere
 * (.npz). Owns whatever native session it opened; {@link #close()} frees it once.
 */
sealed interface Side extends AutoCloseable permits TfliteSide, OnnxSide, TorchScriptSide, NpzSide {
  /** The file as the user gave it. */
  String label();

  /** The backend name used in the pair label ("tflite", "onnxruntime", "torchscript", "npz"). */
  String backend();

  /** Declared inputs; empty when the side declares none (TorchScript takes the other side's, .npz takes none). */
  List<InputSpec> inputs();

  /** The graph for structural matching, or null when the side has none. */
  GraphView graph();

  /** Runs on the given inputs (already matched to this side's names), every tensor it can show captured. */
  Activations run(Map<String, HostTensor> inputs);

  /** Backend facts for the report's config map. */
  Map<String, String> info();

  @Override
  void close();
}
