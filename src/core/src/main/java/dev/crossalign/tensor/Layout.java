package dev.crossalign.tensor;

/**
 * How the axes of a tensor are to be read. TFLite graphs are NHWC; the port and ONNX work in NCHW. ANY is a tensor
 * whose axes carry no image meaning (vectors, matrices, reshaped heads): it is compared as it is.
 */
public enum Layout {
  NHWC,
  NCHW,
  ANY;

  /** Permutation that takes a tensor in this layout to {@code target} (both rank 4), as torch.permute takes it. */
  public int[] permutationTo(Layout target) {
    if (this == target || this == ANY || target == ANY) {
      return new int[] {0, 1, 2, 3};
    }
    return this == NHWC ? nhwcToNchw() : nchwToNhwc();
  }

  /** NHWC to NCHW as torch.permute and numpy.transpose take it: (0, 3, 1, 2). A fresh array each call. */
  public static int[] nhwcToNchw() {
    return new int[] {0, 3, 1, 2};
  }

  /** NCHW to NHWC: (0, 2, 3, 1). A fresh array each call. */
  public static int[] nchwToNhwc() {
    return new int[] {0, 2, 3, 1};
  }

  /**
   * The NCHW dim that holds axis {@code nhwcAxis} (0..3) of an NHWC tensor: n 0, h 2, w 3, c 1. The one copy of the
   * axis map the port's shape ops, the generated code and the ONNX export use to move a TFLite axis onto an NCHW value.
   */
  public static int nchwDim(int nhwcAxis) {
    return switch (nhwcAxis) {
      case 0 -> 0;
      case 1 -> 2;
      case 2 -> 3;
      case 3 -> 1;
      default -> throw new IllegalArgumentException("axis " + nhwcAxis + " of a rank-4 tensor");
    };
  }
}
