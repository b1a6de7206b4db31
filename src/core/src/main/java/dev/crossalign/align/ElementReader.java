package dev.crossalign.align;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;

/**
 * Reads a tensor's elements in order, as doubles, a chunk at a time, straight from its little-endian buffer: no
 * whole-tensor copy and no boxing. Integers convert exactly up to 2^53 (INT64 beyond that rounds).
 */
class ElementReader {
  private final DType dtype;
  private final ByteBuffer bytes;
  private final FloatBuffer floats;
  private final DoubleBuffer doubles;
  private final ShortBuffer shorts;
  private final IntBuffer ints;
  private final LongBuffer longs;
  private float[] floatScratch = new float[0];
  private short[] shortScratch = new short[0];
  private int[] intScratch = new int[0];
  private long[] longScratch = new long[0];

  ElementReader(HostTensor t) {
    this.dtype = t.dtype();
    ByteBuffer data = t.data();
    this.bytes = data;
    this.floats = dtype == DType.FLOAT32 ? data.asFloatBuffer() : null;
    this.doubles = dtype == DType.FLOAT64 ? data.asDoubleBuffer() : null;
    this.shorts = dtype == DType.FLOAT16 || dtype == DType.INT16 ? data.asShortBuffer() : null;
    this.ints = dtype == DType.INT32 ? data.asIntBuffer() : null;
    this.longs = dtype == DType.INT64 ? data.asLongBuffer() : null;
  }

  /**
   * A reader of {@code t}'s elements in the order of its axes permuted by {@code perm} (torch.permute style: axis k of
   * the view is axis perm[k] of {@code t}), without materialising the permuted copy: an odometer over the view's shape
   * walks the source offsets. Null {@code perm}: the flat order.
   */
  static ElementReader of(HostTensor t, int[] perm) {
    return perm == null ? new ElementReader(t) : new Permuted(t, perm);
  }

  /** The flat source position of the view's flat position {@code i} (the identity for a flat reader). */
  long sourceIndex(long i) {
    return i;
  }

  /** Reads the next {@code len} elements into {@code dst[0..len)}. */
  void read(double[] dst, int len) {
    switch (dtype) {
      case FLOAT32 -> {
        float[] s = floatScratch(len);
        floats.get(s, 0, len);
        for (int i = 0; i < len; i++) {
          dst[i] = s[i];
        }
      }
      case FLOAT64 -> doubles.get(dst, 0, len);
      case FLOAT16 -> {
        short[] s = shortScratch(len);
        shorts.get(s, 0, len);
        for (int i = 0; i < len; i++) {
          dst[i] = Half.toFloat(s[i]);
        }
      }
      case INT16 -> {
        short[] s = shortScratch(len);
        shorts.get(s, 0, len);
        for (int i = 0; i < len; i++) {
          dst[i] = s[i];
        }
      }
      case INT32 -> {
        if (intScratch.length < len) {
          intScratch = new int[len];
        }
        ints.get(intScratch, 0, len);
        for (int i = 0; i < len; i++) {
          dst[i] = intScratch[i];
        }
      }
      case INT64 -> {
        if (longScratch.length < len) {
          longScratch = new long[len];
        }
        longs.get(longScratch, 0, len);
        for (int i = 0; i < len; i++) {
          dst[i] = (double) longScratch[i];
        }
      }
      case INT8 -> {
        for (int i = 0; i < len; i++) {
          dst[i] = bytes.get();
        }
      }
      case UINT8 -> {
        for (int i = 0; i < len; i++) {
          dst[i] = bytes.get() & 0xff;
        }
      }
      case BOOL -> {
        for (int i = 0; i < len; i++) {
          dst[i] = bytes.get() != 0 ? 1.0 : 0.0;
        }
      }
    }
  }

  private float[] floatScratch(int len) {
    if (floatScratch.length < len) {
      floatScratch = new float[len];
    }
    return floatScratch;
  }

  private short[] shortScratch(int len) {
    if (shortScratch.length < len) {
      shortScratch = new short[len];
    }
    return shortScratch;
  }

  /** Floats a permuted read's tile holds at most (256 KiB), unless one view row alone is longer. */
  static final int TILE_FLOATS = 65536;

  /** The permuted view's reader: absolute reads at the odometer's source offsets. */
  private static final class Permuted extends ElementReader {
    private final HostTensor t;
    private final FloatBuffer floatsAbs;
    private final int[] viewShape;
    private final long[] viewStrides; // source stride of each view axis
    private final int[] idx;
    private long offset;
    /** Blocks of source rows for a view whose next-to-inner axis is contiguous (see {@link #tile}); else null. */
    private final float[] tile;
    private final int tileRows;
    private long tileBase = -1;
    private int tileFirstRow;

    Permuted(HostTensor t, int[] perm) {
      super(t);
      this.t = t;
      this.floatsAbs = t.dtype() == DType.FLOAT32 ? t.data().asFloatBuffer() : null;
      int[] shape = t.shape();
      if (perm.length != shape.length) {
        throw new IllegalArgumentException("permutation of rank " + perm.length + " for a rank-" + shape.length + " tensor");
      }
      long[] strides = new long[shape.length];
      long s = 1;
      for (int k = shape.length - 1; k >= 0; k--) {
        strides[k] = s;
        s *= shape[k];
      }
      viewShape = new int[perm.length];
      viewStrides = new long[perm.length];
      for (int k = 0; k < perm.length; k++) {
        viewShape[k] = shape[perm[k]];
        viewStrides[k] = strides[perm[k]];
      }
      idx = new int[perm.length];
      int last = perm.length - 1;
      // NCHW read as NHWC (the common case): the view's next-to-inner axis is contiguous in the source, so a block of
      // its rows is C bulk reads of contiguous floats, and the view's order is a walk of that block
      boolean contiguousRows = floatsAbs != null && last >= 1 && viewStrides[last - 1] == 1 && viewShape[last] > 1;
      tile = contiguousRows
          ? new float[(int) Math.min((long) viewShape[last] * viewShape[last - 1],
              Math.max(viewShape[last], (long) TILE_FLOATS))]
          : null;
      tileRows = contiguousRows ? tile.length / viewShape[last] : 0;
    }

    /**
     * The tile holding view row {@code row} (of the next-to-inner axis) for the rows starting at source offset {@code
     * rowsBase}: {@code tile[c * tileRows + (row - tileFirstRow)]} is the view element (row, c). Loaded when the
     * walk leaves the rows it holds: one bulk read per inner index c, of up to tileRows contiguous floats.
     */
    private float[] tile(long rowsBase, int row) {
      if (rowsBase != tileBase || row < tileFirstRow || row >= tileFirstRow + tileRows) {
        int last = viewShape.length - 1;
        int rows = Math.min(tileRows, viewShape[last - 1] - row);
        for (int c = 0; c < viewShape[last]; c++) {
          floatsAbs.get((int) (rowsBase + c * viewStrides[last] + row), tile, c * tileRows, rows);
        }
        tileBase = rowsBase;
        tileFirstRow = row;
      }
      return tile;
    }

    @Override
    long sourceIndex(long i) {
      long rest = i;
      long off = 0;
      for (int k = viewShape.length - 1; k >= 0; k--) {
        int d = viewShape[k];
        if (d == 0) {
          return 0;
        }
        off += (rest % d) * viewStrides[k];
        rest /= d;
      }
      return off;
    }

    @Override
    void read(double[] dst, int len) {
      int last = viewShape.length - 1;
      if (last < 0) {
        for (int i = 0; i < len; i++) {
          dst[i] = t.getDouble(0);
        }
        return;
      }
      int inner = viewShape[last];
      long innerStride = viewStrides[last];
      int i = 0;
      while (i < len) {
        // a run along the innermost view axis: one stride, no odometer carry
        int run = Math.min(len - i, inner - idx[last]);
        if (tile != null) {
          // along the view's inner axis in the tile: one float[] load per element, no buffer call
          int w = idx[last - 1];
          float[] tl = tile(offset - idx[last] * innerStride - w, w);
          int t = idx[last] * tileRows + (w - tileFirstRow);
          for (int j = 0; j < run; j++, t += tileRows) {
            dst[i + j] = tl[t];
          }
        } else if (floatsAbs != null) {
          int o = (int) offset;
          int st = (int) innerStride;
          for (int j = 0; j < run; j++, o += st) {
            dst[i + j] = floatsAbs.get(o);
          }
        } else {
          long o = offset;
          for (int j = 0; j < run; j++, o += innerStride) {
            dst[i + j] = t.getDouble(o);
          }
        }
        i += run;
        idx[last] += run;
        offset += run * innerStride;
        for (int k = last; k > 0 && idx[k] == viewShape[k]; k--) {
          offset -= (long) idx[k] * viewStrides[k];
          idx[k] = 0;
          idx[k - 1]++;
          offset += viewStrides[k - 1];
        }
      }
    }
  }
}
