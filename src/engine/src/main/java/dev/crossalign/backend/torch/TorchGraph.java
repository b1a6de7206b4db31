package dev.crossalign.backend.torch;

import java.util.List;

/**
 * A TorchScript forward graph as plain values: its tensor inputs, its top-level nodes in execution order (constants,
 * list and tuple plumbing left out, lists of tensors flattened into their elements), and the names of the tensors it
 * returns. Names are the graph's value names (TorchScript debug names: a scripted variable's name, a traced module's
 * "input.3", or a number).
 *
 * @param inputs the tensor inputs, in forward's order
 * @param nodes the nodes that compute tensors
 * @param outputs the tensors forward returns, in order; empty when its result is no tensor, tuple or list of them
 */
public record TorchGraph(List<String> inputs, List<Node> nodes, List<String> outputs) {
  public TorchGraph {
    inputs = List.copyOf(inputs);
    nodes = List.copyOf(nodes);
    outputs = List.copyOf(outputs);
  }

  /**
   * One node.
   *
   * @param op the qualified op name ("aten::conv2d"); a transposed aten::_convolution is "aten::conv_transpose2d"
   * @param inputs tensor inputs (constants included: weights after freezing), in order
   * @param outputs tensor outputs
   * @param groups a convolution's groups, else 1
   */
  public record Node(String op, List<String> inputs, List<String> outputs, long groups) {
    public Node {
      inputs = List.copyOf(inputs);
      outputs = List.copyOf(outputs);
    }
  }
}
