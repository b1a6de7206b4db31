package dev.crossalign.tflite;

/**
 * A tensor of a subgraph. {@code buffer} is the model buffer index (0 = no data); {@code shapeSignature} is empty
 * when the model does not carry one (then it equals {@code shape}).
 */
public record TensorInfo(
    int index,
    String name,
    TensorType type,
    int typeCode,
    int[] shape,
    int[] shapeSignature,
    int buffer,
    Quantization quantization,
    Sparsity sparsity,
    boolean isVariable) {

  public boolean isQuantized() {
    return quantization != null && quantization.isQuantized();
  }
}
