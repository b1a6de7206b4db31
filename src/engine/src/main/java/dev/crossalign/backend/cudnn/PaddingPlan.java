package dev.crossalign.backend.cudnn;

import dev.crossalign.CrossalignException;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.SamePadding;

/**
 * How TensorFlow's padding of one conv maps onto cuDNN, which only takes one symmetric pad per spatial axis: TF SAME
 * puts the odd pixel at the end (begin = total / 2, end = total - begin), so the asymmetric part is padded explicitly
 * on the host ({@code pre*}) and cuDNN gets the symmetric rest ({@code symH}, {@code symW}). The arithmetic itself is
 * {@link SamePadding}, the one copy of the rule.
 *
 * @param top TF's pad before the first row
 * @param bottom TF's pad after the last row
 * @param left TF's pad before the first column
 * @param right TF's pad after the last column
 * @param outH output height (TF's formula)
 * @param outW output width
 */
public record PaddingPlan(int top, int bottom, int left, int right, int outH, int outW) {
  public PaddingPlan {
    if (top < 0 || bottom < 0 || left < 0 || right < 0 || outH < 1 || outW < 1) {
      throw new CrossalignException(
          CrossalignException.Kind.INTERNAL,
          "padding plan with negative pads or empty output: " + top + "," + bottom + "," + left + "," + right + " -> "
              + outH + "x" + outW);
    }
  }

  /**
   * TF's padding for an input of inH x inW and a kernel kh x kw.
   *
   * @throws CrossalignException INPUT when VALID padding leaves no output (kernel larger than the input)
   */
  public static PaddingPlan of(
      Padding padding, int inH, int inW, int kh, int kw, int strideH, int strideW, int dilationH, int dilationW) {
    int[] h = axis(padding, inH, kh, strideH, dilationH, "height");
    int[] w = axis(padding, inW, kw, strideW, dilationW, "width");
    return new PaddingPlan(h[0], h[1], w[0], w[1], h[2], w[2]);
  }

  /** {begin, end, out} for one axis. */
  private static int[] axis(Padding padding, int in, int k, int stride, int dilation, String what) {
    if (in < 1 || k < 1 || stride < 1 || dilation < 1) {
      throw CrossalignException.input(
          "conv " + what + ": input " + in + ", kernel " + k + ", stride " + stride + ", dilation " + dilation
              + " (all must be at least 1)");
    }
    long effK = (long) (k - 1) * dilation + 1;
    if (padding != Padding.SAME && in < effK) {
      throw CrossalignException.input(
          "conv " + what + ": VALID padding with input " + in + " and effective kernel " + effK + " leaves no output");
    }
    SamePadding p = SamePadding.of(padding, in, k, stride, dilation);
    return new int[] {p.begin(), p.end(), p.out()};
  }

  /** The symmetric pad cuDNN gets on the height axis. */
  public int symH() {
    return Math.min(top, bottom);
  }

  /** The symmetric pad cuDNN gets on the width axis. */
  public int symW() {
    return Math.min(left, right);
  }

  /** Rows padded explicitly on the host before the input (TF never needs this: its extra pixel is at the end). */
  public int preTop() {
    return top - symH();
  }

  public int preBottom() {
    return bottom - symH();
  }

  public int preLeft() {
    return left - symW();
  }

  public int preRight() {
    return right - symW();
  }

  /** Whether cuDNN's symmetric padding alone reproduces TF's (no host pre-pad needed). */
  public boolean symmetric() {
    return top == bottom && left == right;
  }
}
