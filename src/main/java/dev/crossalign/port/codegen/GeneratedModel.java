package dev.crossalign.port.codegen;

import dev.crossalign.UnsupportedOp;
import java.util.List;

/**
 * One TFLite model as PyTorch code. {@code source}: the whole model.py (imports and the nn.Module class);
 * {@code torchScript}: the class's forward method as libtorch's TorchScript compiler takes it (the same text,
 * dedented, with {@code F.} spelled {@code torch.}: libtorch's native resolver knows only the {@code torch}
 * namespace, where the same aten functions live). {@code refusals} is empty when every op was generated.
 */
public record GeneratedModel(
    String className,
    String source,
    String torchScript,
    List<PyWeight> weights,
    List<Port> inputs,
    List<Port> outputs,
    PyGenerator.Boundary boundary,
    List<UnsupportedOp> refusals) {

  /** A graph input or output: its TFLite name, its Python name, its shape at the module's boundary. */
  public record Port(String tfliteName, String pythonName, int[] shape, int rank) {}

  public boolean complete() {
    return refusals.isEmpty();
  }
}
