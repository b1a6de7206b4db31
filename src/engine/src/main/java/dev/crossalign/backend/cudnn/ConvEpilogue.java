package dev.crossalign.backend.cudnn;

import dev.crossalign.CrossalignException;
import dev.crossalign.tflite.Activation;

/**
 * What TFLite does after the convolution itself (bias per output channel, fused activation), on the host, and the
 * float64 convolution that serves as the truth cuDNN and TFLite are both measured against. Pure Java with no TFLite
 * types, so that the GPU check's cuDNN leg runs it from a class path without the TFLite jars.
 */
public final class ConvEpilogue {
  private ConvEpilogue() {}

  /** Adds the bias per output channel and applies the fused activation, in place, as TFLite does after the conv. */
  public static float[] biasAndActivation(float[] nhwc, float[] bias, Activation act) {
    int c = bias.length;
    if (c == 0 || nhwc.length % c != 0) {
      throw new CrossalignException(
          CrossalignException.Kind.INTERNAL, nhwc.length + " outputs are not a multiple of " + c + " channels");
    }
    for (int i = 0; i < nhwc.length; i++) {
      float v = nhwc[i] + bias[i % c];
      nhwc[i] = switch (act) {
        case NONE -> v;
        case RELU -> Math.max(v, 0f);
        case RELU6 -> Math.min(Math.max(v, 0f), 6f);
        case RELU_N1_TO_1 -> Math.min(Math.max(v, -1f), 1f);
        case TANH -> v; // TFLite's float kernels apply no fused TANH (Activation#appliedByFloatKernels)
        case SIGN_BIT -> throw new CrossalignException(CrossalignException.Kind.INTERNAL, "SIGN_BIT activation");
      };
    }
    return nhwc;
  }

  /** Whether {@link #biasAndActivation} applies this fused activation. */
  public static boolean supports(Activation act) {
    return act != Activation.SIGN_BIT;
  }

  /**
   * The convolution in float64 on the host, exactly as cuDNN is asked to run it (host layouts, the plan's pre-pad and
   * symmetric pad, KCRS filter, groups), then bias and activation in float64; returns NHWC rounded to float32 once.
   */
  public static float[] float64Truth(
      ConvGeometry g, PaddingPlan p, float[] inputNhwc, float[] filterKcrs, float[] bias, Activation act) {
    float[] nchw = HostLayouts.nhwcToNchw(inputNhwc, g.n(), g.inH(), g.inW(), g.inC());
    float[] x = HostLayouts.prePad(nchw, g.n(), g.inC(), g.inH(), g.inW(), p);
    int h = g.inH() + p.preTop() + p.preBottom();
    int w = g.inW() + p.preLeft() + p.preRight();
    int c = g.inC();
    int outC = g.outC();
    int groups = g.groups();
    int cPerGroup = c / groups;
    int kPerGroup = outC / groups;
    int kh = g.kh();
    int kw = g.kw();
    int outH = p.outH();
    int outW = p.outW();
    float[] y = new float[Math.toIntExact(g.outputElements())];
    for (int b = 0; b < g.n(); b++) {
      for (int o = 0; o < outC; o++) {
        int grp = o / kPerGroup;
        for (int oy = 0; oy < outH; oy++) {
          for (int ox = 0; ox < outW; ox++) {
            double acc = bias[o];
            for (int ci = 0; ci < cPerGroup; ci++) {
              int ch = grp * cPerGroup + ci;
              for (int ky = 0; ky < kh; ky++) {
                int iy = oy * g.strideH() - p.symH() + ky * g.dilationH();
                if (iy < 0 || iy >= h) {
                  continue;
                }
                int xRow = ((b * c + ch) * h + iy) * w;
                int kRow = ((o * cPerGroup + ci) * kh + ky) * kw;
                for (int kx = 0; kx < kw; kx++) {
                  int ix = ox * g.strideW() - p.symW() + kx * g.dilationW();
                  if (ix >= 0 && ix < w) {
                    acc += (double) x[xRow + ix] * filterKcrs[kRow + kx];
                  }
                }
              }
            }
            double v = switch (act) {
              case NONE -> acc;
              case RELU -> Math.max(acc, 0);
              case RELU6 -> Math.min(Math.max(acc, 0), 6);
              case RELU_N1_TO_1 -> Math.min(Math.max(acc, -1), 1);
              case TANH -> acc; // as TFLite: no fused TANH (Activation#appliedByFloatKernels)
              case SIGN_BIT -> throw new CrossalignException(CrossalignException.Kind.INTERNAL, "SIGN_BIT activation");
            };
            y[((b * outH + oy) * outW + ox) * outC + o] = (float) v;
          }
        }
      }
    }
    return y;
  }
}
