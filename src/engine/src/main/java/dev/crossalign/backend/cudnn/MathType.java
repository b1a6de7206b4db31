package dev.crossalign.backend.cudnn;

/** cudnnMathType_t: whether cuDNN may use tensor cores (and TF32 on Ampere and newer) for float32 convolutions. */
public enum MathType {
  /** Tensor cores allowed where cuDNN wants them; on Ampere+ this includes TF32 for float32 data. */
  DEFAULT(0),
  TENSOR_OP(1),
  TENSOR_OP_ALLOW_CONVERSION(2),
  /** Plain FMA: no tensor cores, no TF32. What the deterministic profile asks for. */
  FMA(3);

  private final int id;

  MathType(int id) {
    this.id = id;
  }

  public int id() {
    return id;
  }

  public static MathType fromId(int id) {
    for (MathType m : values()) {
      if (m.id == id) {
        return m;
      }
    }
    return null;
  }
}
