package dev.crossalign.port;

import dev.crossalign.tensor.Layout;
import org.bytedeco.pytorch.Tensor;

/**
 * A value flowing through the port: a torch tensor and how its axes relate to the TFLite tensor it stands for.
 * {@link Layout#NCHW}: rank 4, axes permuted from TFLite's NHWC to torch's NCHW. {@link Layout#NHWC} or {@link
 * Layout#ANY}: the axes are TFLite's own, whatever the rank.
 */
public record PortValue(Tensor tensor, Layout layout) {
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
    return isNchw() ? tensor.permute(0, 2, 3, 1) : tensor;
  }

  /** The tensor as NCHW; the TFLite tensor must be rank 4 (NHWC). */
  public Tensor nchwTensor() {
    return isNchw() ? tensor : tensor.permute(0, 3, 1, 2);
  }

  public int rank() {
    return (int) tensor.dim();
  }
}
