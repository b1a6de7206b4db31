package dev.crossalign.engine.truth;

import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.ResizeCoordinates;
import dev.crossalign.tflite.SamePadding;

/**
 * Plain float64 loops over NHWC arrays for the ops whose variants the diagnosis recomputes (conv, depthwise conv,
 * pooling, bilinear resize): each variant (a pad on the other side, pads counted, another coordinate mode) is a
 * parameter here, so the diagnosis recomputes the op as the suspected implementation would have.
 */
final class Float64Ops {
  private Float64Ops() {}

  /** An NHWC activation. */
  record Nhwc(double[] v, int n, int h, int w, int c) {
    double at(int b, int y, int x, int ch) {
      return v[((b * h + y) * w + x) * c + ch];
    }
  }

  /**
   * The begin pad of one spatial axis under TF's rule ({@link SamePadding}: SAME puts the odd pixel at the end), or
   * {@code symmetric}. {@code out} is the graph's output size, which SAME's rule derives itself (ceil(in / stride)).
   */
  static int padBegin(Padding p, int in, int out, int stride, int k, int dilation, boolean symmetric) {
    if (p == Padding.VALID) {
      return 0;
    }
    // the symmetric variant: padding = k // 2 on both sides (PyTorch's usual port), the extra pixel at the begin
    return symmetric ? ((k - 1) * dilation + 1) / 2 : SamePadding.of(p, in, k, stride, dilation).begin();
  }

  /**
   * Conv (filter [out, kh, kw, in]) or depthwise conv (filter [1, kh, kw, in * mult], {@code depthwise}); bias may be
   * null; output [n, oh, ow, out].
   */
  static double[] conv(Nhwc x, double[] f, int out, int kh, int kw, boolean depthwise, double[] bias, int sh, int sw,
      int dh, int dw, int padT, int padL, int oh, int ow, Activation act) {
    double[] y = new double[x.n() * oh * ow * out];
    int mult = depthwise ? out / x.c() : 1;
    for (int b = 0; b < x.n(); b++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          for (int oc = 0; oc < out; oc++) {
            double s = bias == null ? 0 : bias[oc];
            for (int ky = 0; ky < kh; ky++) {
              int iy = oy * sh + ky * dh - padT;
              if (iy < 0 || iy >= x.h()) {
                continue;
              }
              for (int kx = 0; kx < kw; kx++) {
                int ix = ox * sw + kx * dw - padL;
                if (ix < 0 || ix >= x.w()) {
                  continue;
                }
                if (depthwise) {
                  s += x.at(b, iy, ix, oc / mult) * f[(ky * kw + kx) * out + oc];
                } else {
                  int base = ((oc * kh + ky) * kw + kx) * x.c();
                  for (int ic = 0; ic < x.c(); ic++) {
                    s += x.at(b, iy, ix, ic) * f[base + ic];
                  }
                }
              }
            }
            y[((b * oh + oy) * ow + ox) * out + oc] = activate(s, act);
          }
        }
      }
    }
    return y;
  }

  /** Average or max pool; {@code countPads}: the average divides by the whole window, pads counted as zeros. */
  static double[] pool(Nhwc x, int kh, int kw, int sh, int sw, int padT, int padL, int oh, int ow, boolean max,
      boolean countPads, Activation act) {
    double[] y = new double[x.n() * oh * ow * x.c()];
    for (int b = 0; b < x.n(); b++) {
      for (int oy = 0; oy < oh; oy++) {
        for (int ox = 0; ox < ow; ox++) {
          for (int ch = 0; ch < x.c(); ch++) {
            double s = max ? Double.NEGATIVE_INFINITY : 0;
            int count = 0;
            for (int ky = 0; ky < kh; ky++) {
              int iy = oy * sh + ky - padT;
              for (int kx = 0; kx < kw; kx++) {
                int ix = ox * sw + kx - padL;
                if (iy < 0 || iy >= x.h() || ix < 0 || ix >= x.w()) {
                  continue;
                }
                double v = x.at(b, iy, ix, ch);
                s = max ? Math.max(s, v) : s + v;
                count++;
              }
            }
            double r = max ? s : s / (countPads ? kh * kw : Math.max(count, 1));
            y[((b * oh + oy) * ow + ox) * x.c() + ch] = activate(r, act);
          }
        }
      }
    }
    return y;
  }

  /** The source coordinate conventions of a resize. */
  enum ResizeMode { HALF_PIXEL, ALIGN_CORNERS, ASYMMETRIC }

  /** Bilinear resize to [n, oh, ow, c] under {@code mode}, TFLite's neighbour clamping. */
  static double[] resizeBilinear(Nhwc x, int oh, int ow, ResizeMode mode) {
    double[] y = new double[x.n() * oh * ow * x.c()];
    for (int b = 0; b < x.n(); b++) {
      for (int oy = 0; oy < oh; oy++) {
        double sy = source(oy, x.h(), oh, mode);
        int y0 = Math.max((int) Math.floor(sy), 0);
        int y1 = Math.min((int) Math.ceil(sy), x.h() - 1);
        double fy = sy - y0;
        for (int ox = 0; ox < ow; ox++) {
          double sx = source(ox, x.w(), ow, mode);
          int x0 = Math.max((int) Math.floor(sx), 0);
          int x1 = Math.min((int) Math.ceil(sx), x.w() - 1);
          double fx = sx - x0;
          for (int ch = 0; ch < x.c(); ch++) {
            double top = x.at(b, y0, x0, ch) * (1 - fx) + x.at(b, y0, x1, ch) * fx;
            double bottom = x.at(b, y1, x0, ch) * (1 - fx) + x.at(b, y1, x1, ch) * fx;
            y[((b * oh + oy) * ow + ox) * x.c() + ch] = top * (1 - fy) + bottom * fy;
          }
        }
      }
    }
    return y;
  }

  private static double source(int dst, int in, int out, ResizeMode mode) {
    return ResizeCoordinates.sourceExact(dst, in, out, mode == ResizeMode.ALIGN_CORNERS, mode == ResizeMode.HALF_PIXEL);
  }

  /** A fused activation as TFLite's float kernels apply it: TANH and SIGN_BIT not at all. */
  static double activate(double v, Activation act) {
    if (!act.appliedByFloatKernels()) {
      return v;
    }
    return switch (act) {
      case RELU -> Math.max(v, 0);
      case RELU_N1_TO_1 -> Math.min(Math.max(v, -1), 1);
      default -> Math.min(Math.max(v, 0), 6);
    };
  }
}
