package dev.crossalign.tflite;

import java.util.List;

/** SparsityParameters (TACO-style) of a sparse constant, as DENSIFY reads them. */
public record Sparsity(int[] traversalOrder, int[] blockMap, List<DimensionMetadata> dimMetadata) {
  /** One dimension of the traversal: dense with a size, or CSR with segments and indices. */
  public record DimensionMetadata(boolean sparse, int denseSize, int[] arraySegments, int[] arrayIndices) {}
}
