package dev.crossalign.tflite;


import java.util.Arrays;
import java.util.List;

/**
 * Decodes TFLite's TACO sparse format into a map from each dense element to the stored value that fills it, following
 * TFLite's FormatConverter::SparseToDense (tensorflow/lite/kernels/internal/utils/sparsity_format_converter.cc):
 * dim_metadata and the format are indexed by traversal level; the first rank levels name original dimensions, the
 * rest block dimensions whose size is the dense_size of dim_metadata[traversal_order[rank + b]], with block_map in
 * ascending order of the dimension it splits; stored values are consumed in traversal order; a CSR level visits
 * array_indices[segments[p] .. segments[p + 1]) of its parent position p. Where the C++ silently skips (a parent with
 * no segment, an index past the indices array) this does too; where it would read or write out of bounds this throws.
 */
public final class SparseDecoder {
  private final int[] shape;
  private final int[] traversal;
  private final int[] blockMap;
  private final int[] blockSize;
  private final List<Sparsity.DimensionMetadata> meta;
  private final int valueCount;
  private final int[] srcOf;
  private int next;

  private SparseDecoder(int[] shape, Sparsity s, int valueCount) {
    this.shape = shape;
    this.traversal = s.traversalOrder() == null ? new int[0] : s.traversalOrder();
    this.blockMap = s.blockMap() == null ? new int[0] : s.blockMap();
    this.meta = s.dimMetadata();
    this.valueCount = valueCount;
    int n = shape.length;
    int m = traversal.length;
    if (meta == null || meta.size() != m) {
      throw bad("dim_metadata has " + (meta == null ? 0 : meta.size()) + " entries, traversal_order " + m);
    }
    if (m != n + blockMap.length) {
      throw bad("traversal_order has " + m + " entries for rank " + n + " and " + blockMap.length + " block dims");
    }
    for (int i = 0; i < m; i++) {
      int d = traversal[i];
      boolean ok = i < n ? d >= 0 && d < n : d >= n && d < m;
      if (!ok) {
        throw bad("traversal_order " + Arrays.toString(traversal) + " does not list the original dims first");
      }
    }
    blockSize = new int[blockMap.length];
    int bd = 0;
    for (int i = 0; i < n; i++) {
      if (bd < blockMap.length && blockMap[bd] == i) {
        int size = meta.get(traversal[n + bd]).denseSize();
        if (size <= 0 || shape[i] % size != 0) {
          throw bad("block size " + size + " does not divide dimension " + i + " of " + Arrays.toString(shape));
        }
        blockSize[bd++] = size;
      }
    }
    if (bd != blockMap.length) {
      throw bad("block_map " + Arrays.toString(blockMap) + " is not ascending dims of rank " + n);
    }
    long size = 1;
    for (int d : shape) {
      if (d < 0) {
        throw bad("negative dimension in " + Arrays.toString(shape));
      }
      size *= d;
      if (size > Integer.MAX_VALUE - 8) {
        throw bad("dense size too large");
      }
    }
    srcOf = new int[(int) size];
    Arrays.fill(srcOf, -1);
  }

  /**
   * For each dense element (row-major over {@code shape}), the index of the stored value that fills it, or -1 where
   * the element is zero.
   *
   * @throws IllegalArgumentException with a one-line reason when the metadata is inconsistent
   */
  public static int[] decode(int[] shape, Sparsity s, int valueCount) {
    SparseDecoder d = new SparseDecoder(shape, s, valueCount);
    d.populate(new int[d.traversal.length], 0, 0);
    return d.srcOf;
  }

  private void populate(int[] idx, int level, int prev) {
    int n = shape.length;
    if (level == idx.length) {
      int[] orig = new int[n];
      for (int i = 0; i < n; i++) {
        orig[traversal[i]] = idx[i];
      }
      for (int i = n; i < idx.length; i++) {
        int b = traversal[i] - n;
        int dim = blockMap[b];
        orig[dim] = orig[dim] * blockSize[b] + idx[i];
      }
      long flat = 0;
      for (int d = 0; d < n; d++) {
        if (orig[d] < 0 || orig[d] >= shape[d]) {
          throw bad("element index " + Arrays.toString(orig) + " outside shape " + Arrays.toString(shape));
        }
        flat = flat * shape[d] + orig[d];
      }
      if (next >= valueCount) {
        throw bad("metadata names more elements than the " + valueCount + " stored values");
      }
      srcOf[(int) flat] = next++;
      return;
    }
    Sparsity.DimensionMetadata dm = meta.get(level);
    if (!dm.sparse()) {
      int size = dm.denseSize();
      if (size < 0) {
        throw bad("negative dense_size at level " + level);
      }
      for (int i = 0; i < size; i++) {
        idx[level] = i;
        populate(idx, level + 1, prev * size + i);
      }
      return;
    }
    int[] seg = dm.arraySegments() == null ? new int[0] : dm.arraySegments();
    int[] ind = dm.arrayIndices() == null ? new int[0] : dm.arrayIndices();
    if (prev < 0 || prev + 1 >= seg.length) {
      return; // TFLite: prev_idx + 1 < segments.size() or nothing
    }
    for (int i = seg[prev]; i < seg[prev + 1]; i++) {
      if (i < 0) {
        throw bad("negative array_segments entry at level " + level);
      }
      if (i < ind.length) {
        idx[level] = ind[i];
        populate(idx, level + 1, i);
      }
    }
  }

  private static IllegalArgumentException bad(String why) {
    return new IllegalArgumentException(why);
  }
}
