package dev.crossalign.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import dev.crossalign.CrossalignException;
import dev.crossalign.tensor.DType;
import java.util.Optional;

/** Maps between ONNX TensorProto.DataType numbers and {@link DType}. */
public final class OnnxTypes {
  private OnnxTypes() {}

  /** ONNX element type number for a DType (TensorProto.DataType). */
  public static int elemType(DType dtype) {
    return switch (dtype) {
      case FLOAT32 -> TensorProto.DataType.FLOAT_VALUE;
      case FLOAT16 -> TensorProto.DataType.FLOAT16_VALUE;
      case FLOAT64 -> TensorProto.DataType.DOUBLE_VALUE;
      case INT8 -> TensorProto.DataType.INT8_VALUE;
      case UINT8 -> TensorProto.DataType.UINT8_VALUE;
      case INT16 -> TensorProto.DataType.INT16_VALUE;
      case INT32 -> TensorProto.DataType.INT32_VALUE;
      case INT64 -> TensorProto.DataType.INT64_VALUE;
      case BOOL -> TensorProto.DataType.BOOL_VALUE;
    };
  }

  /** The DType for an ONNX element type, or empty for types no DType holds (string, bfloat16, uint16/32/64, ...). */
  public static Optional<DType> dtype(int elemType) {
    return Optional.ofNullable(
        switch (elemType) {
          case TensorProto.DataType.FLOAT_VALUE -> DType.FLOAT32;
          case TensorProto.DataType.FLOAT16_VALUE -> DType.FLOAT16;
          case TensorProto.DataType.DOUBLE_VALUE -> DType.FLOAT64;
          case TensorProto.DataType.INT8_VALUE -> DType.INT8;
          case TensorProto.DataType.UINT8_VALUE -> DType.UINT8;
          case TensorProto.DataType.INT16_VALUE -> DType.INT16;
          case TensorProto.DataType.INT32_VALUE -> DType.INT32;
          case TensorProto.DataType.INT64_VALUE -> DType.INT64;
          case TensorProto.DataType.BOOL_VALUE -> DType.BOOL;
          default -> null;
        });
  }

  /** Like {@link #dtype(int)} but an UNSUPPORTED error naming {@code what} when there is no DType. */
  public static DType requireDType(int elemType, String what) {
    return dtype(elemType)
        .orElseThrow(
            () -> CrossalignException.unsupported(what + " has ONNX element type " + name(elemType)
                + ", which crossalign does not compare (supported: float, float16, double, int8/16/32/64, uint8, bool)"));
  }

  /** Bytes per element of an ONNX element type, or -1 when it is not a fixed whole number of bytes (string, int4). */
  public static int byteSize(int elemType) {
    return switch (elemType) {
      case TensorProto.DataType.FLOAT_VALUE, TensorProto.DataType.INT32_VALUE, TensorProto.DataType.UINT32_VALUE -> 4;
      case TensorProto.DataType.UINT8_VALUE,
          TensorProto.DataType.INT8_VALUE,
          TensorProto.DataType.BOOL_VALUE,
          TensorProto.DataType.FLOAT8E4M3FN_VALUE,
          TensorProto.DataType.FLOAT8E4M3FNUZ_VALUE,
          TensorProto.DataType.FLOAT8E5M2_VALUE,
          TensorProto.DataType.FLOAT8E5M2FNUZ_VALUE -> 1;
      case TensorProto.DataType.UINT16_VALUE,
          TensorProto.DataType.INT16_VALUE,
          TensorProto.DataType.FLOAT16_VALUE,
          TensorProto.DataType.BFLOAT16_VALUE -> 2;
      case TensorProto.DataType.INT64_VALUE,
          TensorProto.DataType.DOUBLE_VALUE,
          TensorProto.DataType.UINT64_VALUE,
          TensorProto.DataType.COMPLEX64_VALUE -> 8;
      case TensorProto.DataType.COMPLEX128_VALUE -> 16;
      default -> -1;
    };
  }

  /** Readable name of an ONNX element type ("FLOAT", "INT64", "UNKNOWN(42)"). */
  public static String name(int elemType) {
    TensorProto.DataType t = TensorProto.DataType.forNumber(elemType);
    return t == null ? "UNKNOWN(" + elemType + ")" : t.name();
  }
}
