package dev.crossalign.backend.cudnn;

/**
 * What cuDNN computes, written out on the host for the tests: NCHW cross-correlation with one symmetric zero pad per
 * axis, strides, dilations and groups, KCRS filter. Fed with {@link HostLayouts} and {@link PaddingPlan} output, it
 * must reproduce TFLite's convs; that is the evidence that the plan and the layouts are right before any GPU runs them.
 */
final class HostConv {
  private HostConv() {}

  static float[] forwardNchw(float[] x, int n, int c, int h, int w, float[] k, int outC, int kh, int kw, int padH,
      int padW, int sh, int sw, int dh, int dw, int groups, int outH, int outW) {
    int cPerGroup = c / groups;
    int kPerGroup = outC / groups;
    float[] y = new float[n * outC * outH * outW];
    for (int b = 0; b < n; b++) {
      for (int o = 0; o < outC; o++) {
        int g = o / kPerGroup;
        for (int oy = 0; oy < outH; oy++) {
          for (int ox = 0; ox < outW; ox++) {
            double acc = 0;
            for (int ci = 0; ci < cPerGroup; ci++) {
              int ch = g * cPerGroup + ci;
              for (int ky = 0; ky < kh; ky++) {
                int iy = oy * sh - padH + ky * dh;
                if (iy < 0 || iy >= h) {
                  continue;
                }
                for (int kx = 0; kx < kw; kx++) {
                  int ix = ox * sw - padW + kx * dw;
                  if (ix < 0 || ix >= w) {
                    continue;
                  }
                  acc += (double) x[((b * c + ch) * h + iy) * w + ix] * k[((o * cPerGroup + ci) * kh + ky) * kw + kx];
                }
              }
            }
            y[((b * outC + o) * outH + oy) * outW + ox] = (float) acc;
          }
        }
      }
    }
    return y;
  }

  /** The whole path the cuDNN backend takes, with this host conv in cuDNN's place; returns NHWC before bias. */
  static float[] asCudnnWould(ConvGeometry g, float[] inputNhwc, float[] filterKcrs) {
    PaddingPlan p = g.plan();
    float[] nchw = HostLayouts.nhwcToNchw(inputNhwc, g.n(), g.inH(), g.inW(), g.inC());
    float[] padded = HostLayouts.prePad(nchw, g.n(), g.inC(), g.inH(), g.inW(), p);
    float[] y = forwardNchw(padded, g.n(), g.inC(), g.paddedH(), g.paddedW(), filterKcrs, g.outC(), g.kh(), g.kw(),
        p.symH(), p.symW(), g.strideH(), g.strideW(), g.dilationH(), g.dilationW(), g.groups(), p.outH(), p.outW());
    return HostLayouts.nchwToNhwc(y, g.n(), g.outC(), p.outH(), p.outW());
  }
}
