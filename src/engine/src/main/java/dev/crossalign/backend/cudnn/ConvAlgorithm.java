package dev.crossalign.backend.cudnn;

/** cudnnConvolutionFwdAlgo_t, with its native ids (checked against the bindings' constants in the tests). */
public enum ConvAlgorithm {
  IMPLICIT_GEMM(0),
  IMPLICIT_PRECOMP_GEMM(1),
  GEMM(2),
  DIRECT(3),
  FFT(4),
  FFT_TILING(5),
  WINOGRAD(6),
  WINOGRAD_NONFUSED(7);

  private final int id;

  ConvAlgorithm(int id) {
    this.id = id;
  }

  public int id() {
    return id;
  }

  /** The algorithm with this native id, or null for an id this enum does not know (a newer cuDNN). */
  public static ConvAlgorithm fromId(int id) {
    for (ConvAlgorithm a : values()) {
      if (a.id == id) {
        return a;
      }
    }
    return null;
  }
}
