package dev.crossalign.tflite;

import java.util.Arrays;

/**
 * TFLite's SLICE output shape, the one copy the reader's declared-shape rule ({@link DerivedShapes}), the torch port,
 * the generated PyTorch code and the ONNX export use: per axis, {@code size} elements from {@code begin}, size -1 to
 * the end of the axis (slice.cc's CalculateOutputShapeVector).
 */
public final class SliceShape {
  private SliceShape() {}

  /**
   * The output shape, or null when begin and size are not one value per axis or the slice starts before an axis (a
   * negative begin, which TFLite's Prepare does not refuse but reads outside the input with).
   *
   * @throws IllegalArgumentException where TFLite's Prepare refuses them: a size below -1, or begin + size past the
   *     axis
   */
  public static long[] of(int[] in, long[] begin, long[] size) {
    if (begin.length != in.length || size.length != in.length) {
      return null;
    }
    long[] out = new long[in.length];
    for (int i = 0; i < in.length; i++) {
      if (size[i] < -1) {
        throw new IllegalArgumentException("size " + Arrays.toString(size) + " has " + size[i] + " (-1 or more)");
      }
      if (size[i] >= 0 && begin[i] + size[i] > in[i]) {
        throw new IllegalArgumentException("begin " + Arrays.toString(begin) + " and size " + Arrays.toString(size)
            + " reach past input 0's shape " + Arrays.toString(in));
      }
      out[i] = size[i] == -1 ? in[i] - begin[i] : size[i];
      if (begin[i] < 0 || out[i] < 0) {
        return null;
      }
    }
    return out;
  }
}
