package dev.crossalign.port.codegen;

import dev.crossalign.UnsupportedOp;
import java.util.List;

/**
 * One TFLite model as PyTorch code. {@code source}: the whole model.py (imports and the nn.Module class);
 * {@code torchScript}: the class's forward method as libtorch's TorchScript compiler takes it (the same text,
 * dedented, with {@code F.} spelled {@code torch.}: libtorch's native resolver knows only the {@code torch}
 * namespace, where the same aten functions live). {@code refusals} is empty when every op was generated.
 * {@code foldedOutputs}: outputs of the ops folded into weights at generation (DEQUANTIZE, DENSIFY, reshapes of their
 * results) by TFLite tensor index, in TFLite axes and op order, made again when asked for: the code has no line that
 * computes them.
 * {@code ops}: each generated op's own code (its lines in the forward, its inputs and outputs), in op order.
 */
public record GeneratedModel(
    String className,
    String source,
    String torchScript,
    List<PyWeight> weights,
    List<Port> inputs,
    List<Port> outputs,
    PyGenerator.Boundary boundary,
    List<UnsupportedOp> refusals,
    FoldedOutputs foldedOutputs,
    List<OpCode> ops) {

  /** A graph input or output: its TFLite name, its Python name, its shape at the module's boundary. */
  public record Port(String tfliteName, String pythonName, int[] shape, int rank) {}

  public boolean complete() {
    return refusals.isEmpty();
  }

  /**
   * The same model with its weights' values let go (attributes, sources and flags kept, each {@link PyWeight#value}
   * null): what a module that holds the weights natively keeps, so the host copies (pose_landmark_heavy: 54 MB of
   * float32) do not stay on the heap for as long as the module lives.
   */
  public GeneratedModel withoutWeightValues() {
    List<PyWeight> names = weights.stream()
        .map(w -> new PyWeight(w.attribute(), w.source(), null, w.parameter(), w.note()))
        .toList();
    return new GeneratedModel(className, source, torchScript, names, inputs, outputs, boundary, refusals,
        foldedOutputs, ops);
  }
}
