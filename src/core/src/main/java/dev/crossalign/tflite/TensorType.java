package dev.crossalign.tflite;

import dev.crossalign.tensor.DType;

/** TFLite's TensorType codes, with the host dtype each maps to (null where the engine has none). */
public enum TensorType {
  FLOAT32(0, DType.FLOAT32),
  FLOAT16(1, DType.FLOAT16),
  INT32(2, DType.INT32),
  UINT8(3, DType.UINT8),
  INT64(4, DType.INT64),
  STRING(5, null),
  BOOL(6, DType.BOOL),
  INT16(7, DType.INT16),
  COMPLEX64(8, null),
  INT8(9, DType.INT8),
  FLOAT64(10, DType.FLOAT64),
  COMPLEX128(11, null),
  UINT64(12, null),
  RESOURCE(13, null),
  VARIANT(14, null),
  UINT32(15, null),
  UINT16(16, null),
  INT4(17, null),
  BFLOAT16(18, null);

  private final int code;
  private final DType dtype;

  TensorType(int code, DType dtype) {
    this.code = code;
    this.dtype = dtype;
  }

  public int code() {
    return code;
  }

  /** Host dtype, or null when this type cannot be held in a HostTensor. */
  public DType dtype() {
    return dtype;
  }

  public static TensorType fromCode(int code) {
    for (TensorType t : values()) {
      if (t.code == code) {
        return t;
      }
    }
    return null;
  }

  public static TensorType of(DType dtype) {
    for (TensorType t : values()) {
      if (t.dtype == dtype) {
        return t;
      }
    }
    throw new IllegalArgumentException("no TFLite type for " + dtype);
  }
}
