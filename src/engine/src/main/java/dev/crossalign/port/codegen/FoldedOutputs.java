package dev.crossalign.port.codegen;

import dev.crossalign.tensor.HostTensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The outputs of the ops a generation folded into weights (DEQUANTIZE, DENSIFY, reshapes of their results), by TFLite
 * tensor index in op order, in TFLite axes. Not held: each {@link #value} is made again from the model's buffers by
 * the same code that made it at generation (so the same bits), and is the caller's to drop. A run hands these
 * tensors over once (the capture compares them with the reference's DEQUANTIZE outputs), while the module that holds
 * the weights natively lives for the whole validation: kept, they were pose_landmark_heavy's largest heap item (52 MB
 * of float32 for the whole validation, benchmarks/README.md "Peak memory, fifth step").
 */
public final class FoldedOutputs {
  private final Map<Integer, Supplier<HostTensor>> recipes;

  FoldedOutputs(Map<Integer, Supplier<HostTensor>> recipes) {
    this.recipes = Collections.unmodifiableMap(new LinkedHashMap<>(recipes));
  }

  /** The folded tensors' indexes, in op order. */
  public Set<Integer> indices() {
    return recipes.keySet();
  }

  public boolean contains(int tensor) {
    return recipes.containsKey(tensor);
  }

  /** Tensor {@code tensor}'s value, made now (a fresh float32 tensor in TFLite axes; null when it is not folded). */
  public HostTensor value(int tensor) {
    Supplier<HostTensor> r = recipes.get(tensor);
    return r == null ? null : r.get();
  }

  public int size() {
    return recipes.size();
  }
}
