package dev.crossalign.engine.compare;

import java.util.List;

/**
 * A tensor of the reference paired with a tensor (or, reassembled, several tensors) of the candidate.
 *
 * @param a the tensor of the reference
 * @param b the tensor of the candidate (for a concatenation, its first part)
 * @param method how the pair was found
 * @param permutation the torch.permute-style permutation applied to B's tensor, null when taken as is (reshaped)
 * @param margin for pairs chosen by value among several candidates: a lower bound on (next best rel_l2) / (this
 *     pair's rel_l2), so 10 means the runner-up is at least ten times farther; null when no choice by value was made
 * @param reassembly how B's tensors were put together to make A's shape; null when B's tensor is taken whole
 */
public record TensorMatch(String a, String b, Method method, List<Integer> permutation, Double margin,
    Reassembly reassembly) {
  /** How a pair was found. */
  public enum Method {
    /** A model input, paired by name or by order and shape. */
    INPUT,
    /** The same tensor name on both sides (or the same once torch.onnx's "/…/Op_output_0" spelling is undone). */
    NAME,
    /** Producing ops of corresponding kinds over already-matched inputs. */
    STRUCTURE,
    /**
     * The node's inputs are paired, but the other side computes it with ops the kind table does not know (a
     * decomposed HardSwish, GELU, ...): its counterpart is the one tensor downstream of the paired inputs whose values
     * agree, clearly closer than the next (see margin).
     */
    REGION,
    /** Same shape (up to layout) and agreeing values anywhere in the graph, clearly closer than the next best. */
    VALUE,
    /** A model output paired with an output of the other side by position or shape. */
    OUTPUT_ORDER,
    /** A model output paired with parts of the other side's outputs (concatenated, or a slice of one). */
    REASSEMBLED;

    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public TensorMatch {
    permutation = permutation == null ? null : List.copyOf(permutation);
  }

  TensorMatch(String a, String b, Method method, List<Integer> permutation) {
    this(a, b, method, permutation, null, null);
  }

  /** Every candidate tensor this pair reads. */
  List<String> bTensors() {
    return reassembly == null ? List.of(b) : reassembly.parts();
  }
}
