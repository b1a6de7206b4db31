package dev.crossalign.tflite;

/**
 * TFLite's resize source-coordinate rules as pure Java, in float32 exactly as
 * tensorflow/lite/kernels/internal/reference/resize_*.h computes them; the torch port and the generated PyTorch code
 * both build their index and weight tables from here (the ONNX export names the equivalent coordinate mode instead).
 * <ul>
 *   <li>scale = in / out, or (in - 1) / (out - 1) with align_corners (and out > 1), as float32;
 *   <li>bilinear: src = dst * scale, or (dst + 0.5) * scale - 0.5 with half_pixel_centers; y0 = max(floor(src), 0),
 *       y1 = min(ceil(src), in - 1), weights (1 - d, d) with d = src - y0 unclamped;
 *   <li>nearest: src = (dst + offset) * scale with offset 0.5 for half_pixel_centers; round (half away from zero)
 *       with align_corners, floor otherwise; min(in - 1), and max(0) with half-pixel centers.
 * </ul>
 */
public final class ResizeCoordinates {
  private ResizeCoordinates() {}

  /**
   * Whether PyTorch's bilinear interpolation (aten::upsample_bilinear2d, which {@code F.interpolate(x, size=...,
   * mode="bilinear")} calls) reads the same source coordinates as TF for these flags: half_pixel_centers is its
   * align_corners=False rule (src = (dst + 0.5) * in / out - 0.5 in float32), align_corners its align_corners=True
   * rule (src = dst * (in - 1) / (out - 1), 0 for a 1-pixel output, as {@link #scale} times dst gives). At the border
   * PyTorch clamps src at 0 and weighs the same pixel (1, 0) where TF keeps y0 == y1 with weights (1 - d, d), d < 0:
   * the same value, PyTorch's without the rounding of (1 - d) * v + d * v. TF's legacy rule (src = dst * in / out)
   * has no PyTorch mode.
   */
  public static boolean torchBilinearSameRule(boolean alignCorners, boolean halfPixel) {
    return alignCorners != halfPixel;
  }

  /**
   * The bilinear source coordinate of output index {@code dst} under the same rule, in exact (double) arithmetic: what
   * the float64 truth recomputes a resize with (engine/truth), no float32 rounding of the scale or the product.
   */
  public static double sourceExact(int dst, int in, int out, boolean alignCorners, boolean halfPixel) {
    double scale = alignCorners && out > 1 ? (double) (in - 1) / (out - 1) : (double) in / out;
    return halfPixel ? (dst + 0.5) * scale - 0.5 : dst * scale;
  }

  public static float scale(int in, int out, boolean alignCorners) {
    return alignCorners && out > 1 ? (float) (in - 1) / (out - 1) : (float) in / out;
  }

  public static long[] nearest(int in, int out, boolean alignCorners, boolean halfPixel) {
    float scale = scale(in, out, alignCorners);
    float offset = halfPixel ? 0.5f : 0.0f;
    long[] idx = new long[out];
    for (int d = 0; d < out; d++) {
      float src = ((float) d + offset) * scale;
      int v = alignCorners ? (int) roundHalfAway(src) : (int) Math.floor(src);
      v = Math.min(v, in - 1);
      if (halfPixel) {
        v = Math.max(0, v);
      }
      idx[d] = v;
    }
    return idx;
  }

  private static float roundHalfAway(float v) {
    return v < 0 ? -(float) Math.floor(-v + 0.5) : (float) Math.floor(v + 0.5);
  }

  /** Bilinear source indices and weights of one axis (see {@link Bilinear}). */
  public static Bilinear bilinear(int in, int out, boolean alignCorners, boolean halfPixel) {
    return Bilinear.of(in, out, alignCorners, halfPixel);
  }

  /** Per output coordinate: the two source indices and their float32 weights (1 - d, d). */
  public record Bilinear(long[] lo, long[] hi, float[] wLo, float[] wHi) {
    static Bilinear of(int in, int out, boolean alignCorners, boolean halfPixel) {
      float scale = scale(in, out, alignCorners);
      long[] lo = new long[out];
      long[] hi = new long[out];
      float[] wLo = new float[out];
      float[] wHi = new float[out];
      for (int d = 0; d < out; d++) {
        float src = halfPixel ? ((float) d + 0.5f) * scale - 0.5f : (float) d * scale;
        int l = Math.max((int) Math.floor(src), 0);
        int h = Math.min((int) Math.ceil(src), in - 1);
        float frac = src - (float) l;
        lo[d] = l;
        hi[d] = h;
        wLo[d] = 1 - frac;
        wHi[d] = frac;
      }
      return new Bilinear(lo, hi, wLo, wHi);
    }
  }
}
