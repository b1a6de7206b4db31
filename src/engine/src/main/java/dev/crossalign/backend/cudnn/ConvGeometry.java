package dev.crossalign.backend.cudnn;

import dev.crossalign.CrossalignException;
import dev.crossalign.tflite.Padding;

/**
 * One TFLite convolution as cuDNN sees it: NHWC input n x inH x inW x inC, outC output channels, a kh x kw kernel,
 * strides, dilations and TF padding. DEPTHWISE is a grouped convolution with groups = inC and outC = inC * multiplier.
 */
public record ConvGeometry(
    Kind kind,
    int n,
    int inH,
    int inW,
    int inC,
    int outC,
    int kh,
    int kw,
    int strideH,
    int strideW,
    int dilationH,
    int dilationW,
    Padding padding) {

  /** CONV_2D or DEPTHWISE_CONV_2D. */
  public enum Kind {
    CONV,
    DEPTHWISE
  }

  public ConvGeometry {
    if (kind == null || padding == null) {
      throw CrossalignException.input("conv geometry needs a kind and a padding");
    }
    if (n < 1 || inH < 1 || inW < 1 || inC < 1 || outC < 1 || kh < 1 || kw < 1) {
      throw CrossalignException.input(
          "conv geometry with an empty dimension: input " + n + "x" + inH + "x" + inW + "x" + inC + ", kernel " + kh
              + "x" + kw + ", " + outC + " output channels");
    }
    if (kind == Kind.DEPTHWISE && outC % inC != 0) {
      throw CrossalignException.input(
          "depthwise conv with " + inC + " input channels cannot have " + outC + " output channels (not a multiple)");
    }
    plan(strideH, strideW, dilationH, dilationW, padding, inH, inW, kh, kw); // validates strides and dilations
  }

  private static PaddingPlan plan(
      int sh, int sw, int dh, int dw, Padding p, int inH, int inW, int kh, int kw) {
    return PaddingPlan.of(p, inH, inW, kh, kw, sh, sw, dh, dw);
  }

  public PaddingPlan plan() {
    return plan(strideH, strideW, dilationH, dilationW, padding, inH, inW, kh, kw);
  }

  /** cuDNN's group count: 1 for CONV, inC for DEPTHWISE. */
  public int groups() {
    return kind == Kind.CONV ? 1 : inC;
  }

  /** Input channels per group (the C of the KCRS filter). */
  public int filterC() {
    return kind == Kind.CONV ? inC : 1;
  }

  /** Height of the input after the host pre-pad (what cuDNN's input descriptor says). */
  public int paddedH() {
    PaddingPlan p = plan();
    return inH + p.preTop() + p.preBottom();
  }

  public int paddedW() {
    PaddingPlan p = plan();
    return inW + p.preLeft() + p.preRight();
  }

  public long inputElements() {
    return (long) n * inC * inH * inW;
  }

  public long outputElements() {
    PaddingPlan p = plan();
    return (long) n * outC * p.outH() * p.outW();
  }

  public long filterElements() {
    return (long) outC * filterC() * kh * kw;
  }

  @Override
  public String toString() {
    return kind + " " + n + "x" + inH + "x" + inW + "x" + inC + " -> " + outC + " k" + kh + "x" + kw + " s" + strideH
        + "x" + strideW + " d" + dilationH + "x" + dilationW + " " + padding;
  }
}
