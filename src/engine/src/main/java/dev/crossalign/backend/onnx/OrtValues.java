package dev.crossalign.backend.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.crossalign.CrossalignException;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.onnx.OnnxValueInfo;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Host tensors to ONNX Runtime values and back: a feed checked against the model's declared input (dtype, shape)
 * before it becomes a native tensor, a fetched value copied to the heap with its dtype mapped from ORT Java's own
 * enum.
 */
final class OrtValues {
  private OrtValues() {}

  static void checkInput(OnnxValueInfo spec, HostTensor t) {
    DType want = OnnxTypes.requireDType(spec.elemType(), "input '" + spec.name() + "'");
    if (t.dtype() != want) {
      throw CrossalignException.input("input '" + spec.name() + "' is " + t.dtype() + ", the ONNX model expects "
          + want);
    }
    long[] dims = spec.shape();
    if (dims != null) {
      int[] got = t.shape();
      boolean ok = got.length == dims.length;
      for (int i = 0; ok && i < dims.length; i++) {
        ok = dims[i] < 0 || dims[i] == got[i];
      }
      if (!ok) {
        throw CrossalignException.input("input '" + spec.name() + "' has shape " + Arrays.toString(got)
            + ", the ONNX model expects " + Arrays.toString(dims) + " (-1 = any)");
      }
    }
  }

  /**
   * {@code t} as an ONNX Runtime value. Data already in native memory (a direct buffer: a memory-mapped capture, a feed
   * permuted into one) is handed over as it is, which ONNX Runtime reads without a copy; the caller keeps it unchanged
   * until the value is closed. Heap data is copied into native memory first.
   */
  static OnnxTensor toOrt(OrtEnvironment env, HostTensor t) throws OrtException {
    ByteBuffer src = t.data();
    ByteBuffer direct;
    if (src.isDirect() && src.hasRemaining()) {
      direct = src.slice().order(ByteOrder.nativeOrder());
    } else {
      direct = ByteBuffer.allocateDirect(Math.max(src.remaining(), 1)).order(ByteOrder.nativeOrder());
      direct.put(src);
      direct.flip();
    }
    long[] shape = Arrays.stream(t.shape()).asLongStream().toArray();
    return OnnxTensor.createTensor(env, direct, shape, javaType(t.dtype()));
  }

  /** The ONNX Runtime Java tensor type that holds {@code dtype}'s values as they are. */
  static OnnxJavaType javaType(DType dtype) {
    return switch (dtype) {
      case FLOAT32 -> OnnxJavaType.FLOAT;
      case FLOAT16 -> OnnxJavaType.FLOAT16;
      case FLOAT64 -> OnnxJavaType.DOUBLE;
      case INT8 -> OnnxJavaType.INT8;
      case UINT8 -> OnnxJavaType.UINT8;
      case INT16 -> OnnxJavaType.INT16;
      case INT32 -> OnnxJavaType.INT32;
      case INT64 -> OnnxJavaType.INT64;
      case BOOL -> OnnxJavaType.BOOL;
    };
  }

  /** A copy of an ORT output on the heap; null for values crossalign does not compare (sequences, maps, strings). */
  static HostTensor fromOrt(OnnxModel model, String name, OnnxValue value) {
    if (!(value instanceof OnnxTensor ot)) {
      return null;
    }
    TensorInfo info = ot.getInfo();
    DType dtype = dtypeOf(info.onnxType);
    if (dtype == null) {
      return null;
    }
    long[] s = info.getShape();
    int[] shape = new int[s.length];
    for (int i = 0; i < s.length; i++) {
      if (s[i] < 0 || s[i] > Integer.MAX_VALUE) {
        throw new CrossalignException(CrossalignException.Kind.INTERNAL,
            "onnxruntime returned tensor '" + name + "' with shape " + Arrays.toString(s));
      }
      shape[i] = (int) s[i];
    }
    long n = HostTensor.numel(shape);
    ByteBuffer data;
    if (n == 0) {
      data = ByteBuffer.allocate(0);
    } else {
      data = ot.getByteBuffer();
      if (data == null || data.remaining() != n * dtype.byteSize()) {
        throw new CrossalignException(CrossalignException.Kind.INTERNAL, "onnxruntime returned "
            + (data == null ? "no data" : data.remaining() + " bytes") + " for tensor '" + name + "' of shape "
            + Arrays.toString(shape) + " " + dtype);
      }
    }
    return HostTensor.wrap(dtype, shape, model.layoutOf(name, shape.length), data.order(ByteOrder.LITTLE_ENDIAN));
  }

  /**
   * ORT Java's OnnxTensorType numbers are its own, not ONNX's TensorProto.DataType numbers; the names after the prefix
   * are ONNX's.
   */
  static DType dtypeOf(TensorInfo.OnnxTensorType t) {
    String n = t.name().replace("ONNX_TENSOR_ELEMENT_DATA_TYPE_", "");
    return switch (n) {
      case "FLOAT" -> DType.FLOAT32;
      case "FLOAT16" -> DType.FLOAT16;
      case "DOUBLE" -> DType.FLOAT64;
      case "INT8" -> DType.INT8;
      case "UINT8" -> DType.UINT8;
      case "INT16" -> DType.INT16;
      case "INT32" -> DType.INT32;
      case "INT64" -> DType.INT64;
      case "BOOL" -> DType.BOOL;
      default -> null;
    };
  }
}
