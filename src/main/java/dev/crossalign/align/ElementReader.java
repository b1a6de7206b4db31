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
final class ElementReader {
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
}
