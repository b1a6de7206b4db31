package dev.crossalign.engine.compare;

import java.util.List;

/**
 * A tensor of side A paired with a tensor of side B.
 *
 * @param a the tensor of A (the reference)
 * @param b the tensor of B
 * @param method how the pair was found
 * @param permutation the torch.permute-style permutation applied to B's tensor, null when taken as is
 */
public record TensorMatch(String a, String b, Method method, List<Integer> permutation) {
  /** How a pair was found. */
  public enum Method {
    /** A model input, paired by name or by order and shape. */
    INPUT,
    /** The same tensor name on both sides. */
    NAME,
    /** Producing ops of corresponding kinds over already-matched inputs. */
    STRUCTURE,
    /** Same shape (up to NHWC/NCHW) and agreeing values, in monotone topological order. */
    VALUE,
    /** A model output paired with the output at the same position. */
    OUTPUT_ORDER;

    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  public TensorMatch {
    permutation = permutation == null ? null : List.copyOf(permutation);
  }
}
