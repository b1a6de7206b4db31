package dev.crossalign.tflite;

import dev.crossalign.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Dense -> TACO sparse encoding, the format TFLite's SparsityParameters describe and DENSIFY decodes.
 *
 * <p>The n dimensions of the tensor are expanded by k block dimensions: a blocked dimension j of size d becomes
 * d / b, and block dimension n + i (splitting dimension blockMap[i]) has size blockSize[i]. The traversal visits these
 * n + k dimensions in traversalOrder; each visited level is dense (every index stored) or CSR (only the indices
 * under which some element is non-zero, with segments per parent position). The buffer holds the elements of the
 * leaf positions in traversal order. "Non-zero" is decided on the element's bytes, so -0.0 is kept as stored.
 */
final class SparseEncoder {
  private SparseEncoder() {}

  record Result(byte[] values, TfliteWriter.EncodedSparsity sparsity) {}

  static Result encode(HostTensor dense, int[] traversalOrder, int[] blockMap, boolean[] sparseDims, int[] blockSize) {
    int[] shape = dense.shape();
    Blocking blocking = Blocking.of(shape, traversalOrder, blockMap, sparseDims, blockSize);
    Traversal traversal = Traversal.of(dense, blocking, traversalOrder);
    List<TfliteWriter.Level> levels = new ArrayList<>();
    long[] positions = {0}; // partial traversal offsets of the stored positions at the current level
    for (int l = 0; l < traversalOrder.length; l++) {
      positions = sparseDims[traversalOrder[l]]
          ? traversal.sparseLevel(l, positions, levels)
          : traversal.denseLevel(l, positions, levels);
    }
    if (positions.length == 0) {
      throw new IllegalArgumentException(
          "sparse constant of shape " + Arrays.toString(shape) + " is all zeros: nothing would be stored");
    }
    byte[] values = traversal.values(positions);
    return new Result(values, new TfliteWriter.EncodedSparsity(traversalOrder.clone(), blockMap.clone(), levels));
  }

  /**
   * The checked block structure: for each of the n tensor dimensions the block that splits it (-1: none), and the
   * sizes of the n + k expanded dimensions.
   */
  private record Blocking(int[] shape, int[] blockOf, int[] blockSize, int[] expanded) {
    static Blocking of(int[] shape, int[] traversalOrder, int[] blockMap, boolean[] sparseDims, int[] blockSize) {
      int n = shape.length;
      int k = blockMap.length;
      int m = n + k;
      checkPermutation(traversalOrder, n, k);
      if (blockSize.length != k) {
        throw new IllegalArgumentException(
            "block map " + Arrays.toString(blockMap) + " and block size " + Arrays.toString(blockSize)
                + " must have the same length");
      }
      if (sparseDims == null || sparseDims.length != m) {
        throw new IllegalArgumentException("sparseDims must have " + m + " entries (one per expanded dimension)");
      }
      int[] blockOf = new int[n];
      Arrays.fill(blockOf, -1);
      for (int i = 0; i < k; i++) {
        int j = blockMap[i];
        if (j < 0 || j >= n || blockOf[j] >= 0) {
          throw new IllegalArgumentException(
              "block map " + Arrays.toString(blockMap) + " must name distinct dimensions of the rank-" + n + " tensor");
        }
        if (blockSize[i] <= 0 || shape[j] % blockSize[i] != 0) {
          throw new IllegalArgumentException(
              "block size " + blockSize[i] + " does not divide dimension " + j + " of shape " + Arrays.toString(shape));
        }
        blockOf[j] = i;
      }
      int[] expanded = new int[m];
      for (int j = 0; j < n; j++) {
        expanded[j] = blockOf[j] >= 0 ? shape[j] / blockSize[blockOf[j]] : shape[j];
      }
      for (int i = 0; i < k; i++) {
        expanded[n + i] = blockSize[i];
      }
      return new Blocking(shape, blockOf, blockSize, expanded);
    }

    private static void checkPermutation(int[] traversalOrder, int n, int k) {
      int m = n + k;
      if (traversalOrder == null || traversalOrder.length != m) {
        throw new IllegalArgumentException(
            "traversal order must have " + m + " entries (rank " + n + " + " + k + " block dims), got "
                + (traversalOrder == null ? "null" : Arrays.toString(traversalOrder)));
      }
      boolean[] seen = new boolean[m];
      for (int d : traversalOrder) {
        if (d < 0 || d >= m || seen[d]) {
          throw new IllegalArgumentException(
              "traversal order " + Arrays.toString(traversalOrder) + " is not a permutation of 0.." + (m - 1));
        }
        seen[d] = true;
      }
    }

    /** Flat dense index of the element at expanded coordinate {@code coord}. */
    int flatIndex(int[] coord, int[] origStride) {
      int n = shape.length;
      int flat = 0;
      for (int j = 0; j < n; j++) {
        int x = blockOf[j] >= 0 ? coord[j] * blockSize[blockOf[j]] + coord[n + blockOf[j]] : coord[j];
        flat += x * origStride[j];
      }
      return flat;
    }
  }

  /**
   * The traversal-ordered flattening of the expanded tensor: {@code levelSize[l]} and {@code stride[l]} per level,
   * {@code sourceIndex[t]} the flat dense index of traversal position t, {@code nzPrefix} the running count of
   * non-zero elements.
   */
  private record Traversal(ByteBuffer src, int es, int[] levelSize, long[] stride, int[] sourceIndex, int[] nzPrefix) {
    static Traversal of(HostTensor dense, Blocking blocking, int[] traversalOrder) {
      int[] shape = blocking.shape();
      int n = shape.length;
      int m = traversalOrder.length;
      int total = Math.toIntExact(dense.numel());
      int es = dense.dtype().byteSize();
      ByteBuffer src = dense.data();
      int[] levelSize = new int[m];
      long[] stride = new long[m + 1];
      for (int l = 0; l < m; l++) {
        levelSize[l] = blocking.expanded()[traversalOrder[l]];
      }
      stride[m] = 1;
      for (int l = m - 1; l >= 0; l--) {
        stride[l] = stride[l + 1] * levelSize[l];
      }
      int[] origStride = new int[n];
      int s = 1;
      for (int j = n - 1; j >= 0; j--) {
        origStride[j] = s;
        s *= shape[j];
      }
      int[] sourceIndex = new int[total];
      int[] nzPrefix = new int[total + 1];
      int[] coord = new int[m];
      for (int t = 0; t < total; t++) {
        long rem = t;
        for (int l = 0; l < m; l++) {
          coord[traversalOrder[l]] = (int) (rem / stride[l + 1]);
          rem %= stride[l + 1];
        }
        int flat = blocking.flatIndex(coord, origStride);
        sourceIndex[t] = flat;
        boolean nz = false;
        for (int b = 0; b < es && !nz; b++) {
          nz = src.get(flat * es + b) != 0;
        }
        nzPrefix[t + 1] = nzPrefix[t] + (nz ? 1 : 0);
      }
      return new Traversal(src, es, levelSize, stride, sourceIndex, nzPrefix);
    }

    /** A dense level: every index under every stored position. */
    long[] denseLevel(int l, long[] positions, List<TfliteWriter.Level> levels) {
      int size = levelSize[l];
      long[] next = new long[Math.multiplyExact(positions.length, size)];
      int c = 0;
      for (long p : positions) {
        for (int i = 0; i < size; i++) {
          next[c++] = p + i * stride[l + 1];
        }
      }
      levels.add(new TfliteWriter.Level(false, size, new int[0], new int[0]));
      return next;
    }

    /** A CSR level: only the indices under which some element is non-zero, with segments per parent position. */
    long[] sparseLevel(int l, long[] positions, List<TfliteWriter.Level> levels) {
      int size = levelSize[l];
      int[] segments = new int[positions.length + 1];
      List<Integer> indices = new ArrayList<>();
      List<Long> next = new ArrayList<>();
      for (int p = 0; p < positions.length; p++) {
        for (int i = 0; i < size; i++) {
          long from = positions[p] + i * stride[l + 1];
          long to = from + stride[l + 1];
          if (nzPrefix[(int) to] - nzPrefix[(int) from] > 0) {
            indices.add(i);
            next.add(from);
          }
        }
        segments[p + 1] = indices.size();
      }
      levels.add(
          new TfliteWriter.Level(true, size, segments, indices.stream().mapToInt(Integer::intValue).toArray()));
      return next.stream().mapToLong(Long::longValue).toArray();
    }

    /** The elements of the leaf positions, in traversal order. */
    byte[] values(long[] positions) {
      byte[] values = new byte[positions.length * es];
      for (int i = 0; i < positions.length; i++) {
        int flat = sourceIndex[(int) positions[i]];
        for (int b = 0; b < es; b++) {
          values[i * es + b] = src.get(flat * es + b);
        }
      }
      return values;
    }
  }
}
