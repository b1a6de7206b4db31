package dev.crossalign.tflite;

import java.util.List;

/** One subgraph: tensors, its inputs and outputs (tensor indices) and operators in execution order. */
public record Subgraph(String name, List<TensorInfo> tensors, int[] inputs, int[] outputs, List<Operator> operators) {
  public TensorInfo tensor(int index) {
    return tensors.get(index);
  }
}
