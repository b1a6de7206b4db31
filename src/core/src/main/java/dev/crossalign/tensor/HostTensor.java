package dev.crossalign.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A dense tensor in Java heap memory: what crosses every package line. Immutable: the data buffer is a read-only
 * little-endian view, and the shape array is copied in and out.
 */
public final class HostTensor {
  private final DType dtype;
  private final int[] shape;
  private final Layout layout;
  private final ByteBuffer data;

  private HostTensor(DType dtype, int[] shape, Layout layout, ByteBuffer data) {
    this.dtype = dtype;
    this.shape = shape.clone();
    this.layout = layout;
    long n = numel(this.shape);
    if (n * dtype.byteSize() != data.remaining()) {
      throw new IllegalArgumentException(
          "tensor data has " + data.remaining() + " bytes, shape " + Arrays.toString(shape) + " of " + dtype
              + " needs " + n * dtype.byteSize());
    }
    this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Wraps little-endian bytes (copied). */
  public static HostTensor of(DType dtype, int[] shape, Layout layout, ByteBuffer littleEndianData) {
    ByteBuffer copy = ByteBuffer.allocate(littleEndianData.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    copy.put(littleEndianData.duplicate());
    copy.flip();
    return new HostTensor(dtype, shape, layout, copy);
  }

  /** Takes ownership of a buffer the caller will not touch again (no copy). */
  public static HostTensor wrap(DType dtype, int[] shape, Layout layout, ByteBuffer littleEndianData) {
    return new HostTensor(dtype, shape, layout, littleEndianData);
  }

  public static HostTensor ofFloats(int[] shape, Layout layout, float[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(values);
    return new HostTensor(DType.FLOAT32, shape, layout, b);
  }

  public static HostTensor ofInts(int[] shape, Layout layout, int[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asIntBuffer().put(values);
    return new HostTensor(DType.INT32, shape, layout, b);
  }

  public static HostTensor ofLongs(int[] shape, Layout layout, long[] values) {
    ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    b.asLongBuffer().put(values);
    return new HostTensor(DType.INT64, shape, layout, b);
  }

  public static long numel(int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  public DType dtype() {
    return dtype;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int rank() {
    return shape.length;
  }

  public int dim(int axis) {
    return shape[axis];
  }

  public Layout layout() {
    return layout;
  }

  public long numel() {
    return numel(shape);
  }

  /** Read-only little-endian view of the raw bytes, positioned at 0. */
  public ByteBuffer data() {
    return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Element {@code i} (flat, row-major) as a double, whatever the dtype. */
  public double getDouble(long i) {
    int idx = Math.toIntExact(i);
    return switch (dtype) {
      case FLOAT32 -> data.getFloat(idx * 4);
      case FLOAT16 -> Half.toFloat(data.getShort(idx * 2));
      case FLOAT64 -> data.getDouble(idx * 8);
      case INT8 -> data.get(idx);
      case UINT8 -> data.get(idx) & 0xff;
      case INT16 -> data.getShort(idx * 2);
      case INT32 -> data.getInt(idx * 4);
      case INT64 -> (double) data.getLong(idx * 8);
      case BOOL -> data.get(idx) != 0 ? 1.0 : 0.0;
    };
  }

  /** All elements as float32 (a copy; exact for FLOAT32/FLOAT16 and small integers). */
  public float[] toFloatArray() {
    int n = Math.toIntExact(numel());
    float[] out = new float[n];
    if (dtype == DType.FLOAT32) {
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
      return out;
    }
    if (dtype == DType.FLOAT16) {
      // fp16 weights (DEQUANTIZE) of a large model are millions of elements, widened by every consumer of the
      // weights: a bulk read, not getDouble's per-element index checks and dtype switch
      short[] bits = new short[n];
      data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer().get(bits);
      for (int i = 0; i < n; i++) {
        out[i] = Half.toFloat(bits[i]);
      }
      return out;
    }
    for (int i = 0; i < n; i++) {
      out[i] = (float) getDouble(i);
    }
    return out;
  }

  public long[] toLongArray() {
    int n = Math.toIntExact(numel());
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = dtype == DType.INT64 ? data.getLong(i * 8) : (long) getDouble(i);
    }
    return out;
  }

  /** This tensor as FLOAT32 (itself when it already is). */
  public HostTensor toFloat32() {
    if (dtype == DType.FLOAT32) {
      return this;
    }
    return dtype == DType.FLOAT16 ? widenHalf() : ofFloats(shape, layout, toFloatArray());
  }

  /**
   * FLOAT16 widened block by block straight into the new tensor's buffer: no whole-tensor short[] and float[] in
   * between (fp16 weights are widened again by every run that hands them over, issue 16).
   */
  private HostTensor widenHalf() {
    int n = Math.toIntExact(numel());
    ByteBuffer out = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    java.nio.FloatBuffer dst = out.asFloatBuffer();
    java.nio.ShortBuffer src = data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
    short[] bits = new short[Math.min(n, 8192)];
    float[] values = new float[bits.length];
    for (int i = 0; i < n; i += bits.length) {
      int k = Math.min(bits.length, n - i);
      src.get(bits, 0, k);
      for (int j = 0; j < k; j++) {
        values[j] = Half.toFloat(bits[j]);
      }
      dst.put(values, 0, k);
    }
    return new HostTensor(DType.FLOAT32, shape, layout, out);
  }

  public HostTensor withLayout(Layout newLayout) {
    return new HostTensor(dtype, shape, newLayout, data);
  }

  public HostTensor reshape(int[] newShape) {
    return new HostTensor(dtype, newShape, Layout.ANY, data);
  }

  /**
   * Axis permutation with torch.permute semantics: output axis {@code k} is input axis {@code perm[k]}. The result's
   * layout is {@code newLayout}.
   */
  public HostTensor permute(int[] perm, Layout newLayout) {
    int r = shape.length;
    if (perm.length != r) {
      throw new IllegalArgumentException("permutation " + Arrays.toString(perm) + " for rank " + r);
    }
    int[] outShape = new int[r];
    for (int k = 0; k < r; k++) {
      outShape[k] = shape[perm[k]];
    }
    long[] inStrides = new long[r];
    long s = 1;
    for (int k = r - 1; k >= 0; k--) {
      inStrides[k] = s;
      s *= shape[k];
    }
    int es = dtype.byteSize();
    int n = Math.toIntExact(numel());
    if (es == 4 && r == 4) {
      return permute4(perm, outShape, inStrides, newLayout);
    }
    ByteBuffer out = ByteBuffer.allocate(n * es).order(ByteOrder.LITTLE_ENDIAN);
    int[] idx = new int[r];
    byte[] src = new byte[data.capacity()];
    data.duplicate().get(src);
    byte[] dst = out.array();
    for (int o = 0; o < n; o++) {
      long off = 0;
      for (int k = 0; k < r; k++) {
        off += idx[k] * inStrides[perm[k]];
      }
      System.arraycopy(src, (int) off * es, dst, o * es, es);
      for (int k = r - 1; k >= 0; k--) {
        if (++idx[k] < outShape[k]) {
          break;
        }
        idx[k] = 0;
      }
    }
    return new HostTensor(dtype, outShape, newLayout, out);
  }

  /** The common case (rank 4, 4-byte elements: NCHW <-> NHWC of float32) as four nested loops over int[]. */
  private HostTensor permute4(int[] perm, int[] outShape, long[] inStrides, Layout newLayout) {
    int n = Math.toIntExact(numel());
    int[] src = new int[n];
    data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(src);
    int[] dst = new int[n];
    int s0 = (int) inStrides[perm[0]];
    int s1 = (int) inStrides[perm[1]];
    int s2 = (int) inStrides[perm[2]];
    int s3 = (int) inStrides[perm[3]];
    int o = 0;
    for (int a = 0; a < outShape[0]; a++) {
      for (int b = 0; b < outShape[1]; b++) {
        for (int c = 0; c < outShape[2]; c++) {
          int base = a * s0 + b * s1 + c * s2;
          for (int d = 0; d < outShape[3]; d++) {
            dst[o++] = src[base + d * s3];
          }
        }
      }
    }
    ByteBuffer out = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
    out.asIntBuffer().put(dst);
    return new HostTensor(dtype, outShape, newLayout, out);
  }

  @Override
  public String toString() {
    return "HostTensor[" + dtype + " " + Arrays.toString(shape) + " " + layout + "]";
  }
}
