package dev.crossalign.backend.tflite;

import java.util.Arrays;

/**
 * One node of the interpreter's execution plan, as TFLite holds it after delegation.
 *
 * @param nodeIndex the node's index in the interpreter
 * @param op the operator name (builtin name like "CONV_2D", a custom op's name, or the delegate's name)
 * @param inputs TFLite tensor indices of its inputs (-1 for an omitted optional input)
 * @param outputs TFLite tensor indices of its outputs
 */
public record OpNode(int nodeIndex, String op, int[] inputs, int[] outputs) {
  public OpNode {
    inputs = inputs.clone();
    outputs = outputs.clone();
  }

  @Override
  public int[] inputs() {
    return inputs.clone();
  }

  @Override
  public int[] outputs() {
    return outputs.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof OpNode n
        && n.nodeIndex == nodeIndex
        && n.op.equals(op)
        && Arrays.equals(n.inputs, inputs)
        && Arrays.equals(n.outputs, outputs);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * nodeIndex + op.hashCode()) + 31 * Arrays.hashCode(inputs) + Arrays.hashCode(outputs);
  }

  @Override
  public String toString() {
    return "OpNode[" + nodeIndex + " " + op + " in=" + Arrays.toString(inputs) + " out=" + Arrays.toString(outputs)
        + "]";
  }
}
