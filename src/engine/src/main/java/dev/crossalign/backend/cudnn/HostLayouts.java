package dev.crossalign.backend.cudnn;

import dev.crossalign.CrossalignException;
import dev.crossalign.CrossalignException.Kind;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;

/**
 * Host-side layout work around cuDNN: TFLite's NHWC activations to NCHW, the explicit zero pre-pad of {@link
 * PaddingPlan}, and TFLite filters to cuDNN's KCRS (NCHW filter) order. Every length is checked before it is used.
 */
public final class HostLayouts {
  private HostLayouts() {}

  /** NHWC to NCHW through {@link HostTensor#permute} with {@link Layout#nhwcToNchw()}, the one copy of the layout map. */
  public static float[] nhwcToNchw(float[] src, int n, int h, int w, int c) {
    check(src, n, h, w, c, "NHWC activation");
    return HostTensor.ofFloats(new int[] {n, h, w, c}, Layout.NHWC, src).permute(Layout.nhwcToNchw(), Layout.NCHW)
        .toFloatArray();
  }

  /** NCHW to NHWC, as {@link #nhwcToNchw}. */
  public static float[] nchwToNhwc(float[] src, int n, int c, int h, int w) {
    check(src, n, c, h, w, "NCHW activation");
    return HostTensor.ofFloats(new int[] {n, c, h, w}, Layout.NCHW, src).permute(Layout.nchwToNhwc(), Layout.NHWC)
        .toFloatArray();
  }

  /** Zero-pads an NCHW tensor by the plan's asymmetric (pre-) pads; returns src itself when there are none. */
  public static float[] prePad(float[] src, int n, int c, int h, int w, PaddingPlan p) {
    check(src, n, c, h, w, "NCHW activation");
    if (p.preTop() == 0 && p.preBottom() == 0 && p.preLeft() == 0 && p.preRight() == 0) {
      return src;
    }
    int ph = h + p.preTop() + p.preBottom();
    int pw = w + p.preLeft() + p.preRight();
    float[] dst = new float[Math.toIntExact((long) n * c * ph * pw)];
    for (int bc = 0; bc < n * c; bc++) {
      for (int y = 0; y < h; y++) {
        System.arraycopy(src, (bc * h + y) * w, dst, (bc * ph + y + p.preTop()) * pw + p.preLeft(), w);
      }
    }
    return dst;
  }

  /** CONV_2D filter [out, kh, kw, in] (OHWI) to cuDNN KCRS [out, in, kh, kw]. */
  public static float[] convFilterToKcrs(float[] f, int out, int kh, int kw, int in) {
    check(f, out, kh, kw, in, "CONV_2D filter");
    float[] dst = new float[f.length];
    for (int o = 0; o < out; o++) {
      for (int y = 0; y < kh; y++) {
        for (int x = 0; x < kw; x++) {
          for (int i = 0; i < in; i++) {
            dst[((o * in + i) * kh + y) * kw + x] = f[((o * kh + y) * kw + x) * in + i];
          }
        }
      }
    }
    return dst;
  }

  /**
   * DEPTHWISE_CONV_2D filter [1, kh, kw, in * multiplier] to cuDNN KCRS [in * multiplier, 1, kh, kw] for a grouped
   * convolution with groups = in: output channel k reads input channel k / multiplier, as in TFLite.
   */
  public static float[] depthwiseFilterToKcrs(float[] f, int kh, int kw, int outChannels) {
    check(f, 1, kh, kw, outChannels, "DEPTHWISE_CONV_2D filter");
    float[] dst = new float[f.length];
    for (int y = 0; y < kh; y++) {
      for (int x = 0; x < kw; x++) {
        for (int k = 0; k < outChannels; k++) {
          dst[(k * kh + y) * kw + x] = f[(y * kw + x) * outChannels + k];
        }
      }
    }
    return dst;
  }

  private static void check(float[] a, int d0, int d1, int d2, int d3, String what) {
    if (d0 < 0 || d1 < 0 || d2 < 0 || d3 < 0) {
      throw new CrossalignException(Kind.INTERNAL, what + " with a negative dimension");
    }
    long need = (long) d0 * d1 * d2 * d3;
    if (need > Integer.MAX_VALUE - 8) {
      throw CrossalignException.input(what + " of " + need + " elements is too large for a host array");
    }
    if (a == null || a.length != need) {
      throw new CrossalignException(
          Kind.INTERNAL,
          what + " has " + (a == null ? "no" : a.length) + " elements, shape " + d0 + "x" + d1 + "x" + d2 + "x" + d3
              + " needs " + need);
    }
  }
}
