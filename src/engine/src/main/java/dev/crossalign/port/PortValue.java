package dev.crossalign.port;

import dev.crossalign.tensor.Layout;
import org.bytedeco.pytorch.Tensor;

/**
 * A value flowing through the port: a torch tensor and how its axes relate to the TFLite tensor it stands for.
 * {@link Layout#NCHW}: rank 4, axes permuted from TFLite's NHWC to torch's NCHW. {@link Layout#NHWC} or {@link
 * Layout#ANY}: the axes are TFLite's own, whatever the rank.
 */
public record PortValue(Tensor tensor, Layout layout) {
  private static final long[] TO_NCHW = longs(Layout.nhwcToNchw());
  private static final long[] TO_NHWC = longs(Layout.nchwToNhwc());

  /** A rank-4 tensor in TFLite's NHWC axes as an NCHW view: the port's one spelling of that permutation. */
  public static Tensor toNchw(Tensor nhwc) {
    return nhwc.permute(TO_NCHW);
  }

  /** A rank-4 NCHW tensor as a view in TFLite's NHWC axes. */
  public static Tensor toNhwc(Tensor nchw) {
    return nchw.permute(TO_NHWC);
  }

  private static long[] longs(int[] p) {
    long[] out = new long[p.length];
    for (int i = 0; i < p.length; i++) {
      out[i] = p[i];
    }
    return out;
  }

  public boolean isNchw() {
    return layout == Layout.NCHW;
  }

  public static PortValue tf(Tensor t) {
    return new PortValue(t, Layout.ANY);
  }

  public static PortValue nchw(Tensor t) {
    return new PortValue(t, Layout.NCHW);
  }

  /** The tensor with TFLite's own axis order (permuted back from NCHW when needed). */
  public Tensor tfTensor() {
    return isNchw() ? toNhwc(tensor) : tensor;
  }

  /** The tensor as NCHW; the TFLite tensor must be rank 4 (NHWC). */
  public Tensor nchwTensor() {
    return isNchw() ? tensor : toNchw(tensor);
  }

  public int rank() {
    return (int) tensor.dim();
  }
}
