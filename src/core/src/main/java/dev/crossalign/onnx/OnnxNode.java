package dev.crossalign.onnx;

import java.util.List;

/**
 * One node of the main graph, at position {@code index} in the file's node order. Empty strings in {@code inputs}
 * stand for omitted optional inputs. Attributes are read from {@link OnnxModel#proto()}.
 */
public record OnnxNode(int index, String name, String domain, String opType, List<String> inputs, List<String> outputs) {
  public OnnxNode {
    inputs = List.copyOf(inputs);
    outputs = List.copyOf(outputs);
  }

  /** "Conv #3 (conv1)" for messages. */
  public String describe() {
    return opType + " #" + index + (name.isEmpty() ? "" : " (" + name + ")");
  }
}
