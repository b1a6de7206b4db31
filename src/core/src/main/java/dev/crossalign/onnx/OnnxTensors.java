package dev.crossalign.onnx;

import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.ModelFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/** Conversions between ONNX TensorProto and {@link HostTensor}. */
public final class OnnxTensors {
  private OnnxTensors() {}

  /** A TensorProto named {@code name} holding {@code t}'s data as little-endian raw_data. */
  public static TensorProto toProto(String name, HostTensor t) {
    TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(OnnxTypes.elemType(t.dtype()));
    for (int d : t.shape()) {
      b.addDims(d);
    }
    return b.setRawData(ByteString.copyFrom(t.data())).build();
  }

  /**
   * The tensor's data as a HostTensor of layout ANY. The data must be inline (external data is resolved by {@link
   * OnnxModel#read}); an unsupported element type is UNSUPPORTED, inconsistent sizes are a ModelFormatException.
   */
  public static HostTensor toHost(TensorProto p) {
    String what = "tensor '" + p.getName() + "'";
    if (p.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      throw new ModelFormatException(what + " still points to external data; load the model with OnnxModel.read(Path)", -1);
    }
    DType dtype = OnnxTypes.requireDType(p.getDataType(), what);
    int[] shape = shapeOf(p);
    int n = Math.toIntExact(HostTensor.numel(shape));
    long expected = expectedCount(p);
    if (expected != n) {
      throw new ModelFormatException(what + " holds " + expected + " elements, its dims " + Arrays.toString(shape)
          + " need " + n, -1);
    }
    ByteBuffer out = ByteBuffer.allocate(n * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
    if (!p.getRawData().isEmpty() || n == 0) {
      p.getRawData().copyTo(out);
    } else {
      switch (p.getDataType()) {
        case TensorProto.DataType.FLOAT_VALUE -> p.getFloatDataList().forEach(out::putFloat);
        case TensorProto.DataType.DOUBLE_VALUE -> p.getDoubleDataList().forEach(out::putDouble);
        case TensorProto.DataType.INT64_VALUE -> p.getInt64DataList().forEach(out::putLong);
        case TensorProto.DataType.INT32_VALUE -> p.getInt32DataList().forEach(out::putInt);
        case TensorProto.DataType.INT16_VALUE, TensorProto.DataType.FLOAT16_VALUE ->
            p.getInt32DataList().forEach(v -> out.putShort((short) (int) v));
        case TensorProto.DataType.INT8_VALUE, TensorProto.DataType.UINT8_VALUE ->
            p.getInt32DataList().forEach(v -> out.put((byte) (int) v));
        case TensorProto.DataType.BOOL_VALUE -> p.getInt32DataList().forEach(v -> out.put((byte) (v != 0 ? 1 : 0)));
        default -> throw new IllegalStateException("unreachable: " + dtype);
      }
    }
    out.flip();
    return HostTensor.wrap(dtype, shape, Layout.ANY, out);
  }

  /** Dims as ints; a ModelFormatException for negative or too large dims. */
  static int[] shapeOf(TensorProto p) {
    int[] shape = new int[p.getDimsCount()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      long d = p.getDims(i);
      if (d < 0 || d > Integer.MAX_VALUE) {
        throw new ModelFormatException("tensor '" + p.getName() + "' has dimension " + d + " at axis " + i, -1);
      }
      shape[i] = (int) d;
      numel *= d;
      if (numel > Integer.MAX_VALUE) {
        throw new ModelFormatException("tensor '" + p.getName() + "' has more than 2^31 elements: " + p.getDimsList(), -1);
      }
    }
    return shape;
  }

  /**
   * How many elements the tensor's data holds (raw_data bytes / element size, or the typed field's length); -1 when
   * that cannot be told (string, sub-byte types, external data). A raw_data length that is not a whole number of
   * elements is a ModelFormatException.
   */
  static long expectedCount(TensorProto p) {
    if (p.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
      return -1;
    }
    int bs = OnnxTypes.byteSize(p.getDataType());
    if (!p.getRawData().isEmpty()) {
      if (bs <= 0) {
        return -1;
      }
      if (p.getRawData().size() % bs != 0) {
        throw new ModelFormatException("tensor '" + p.getName() + "' has " + p.getRawData().size()
            + " bytes of raw_data, not a multiple of its element size " + bs, -1);
      }
      return p.getRawData().size() / bs;
    }
    return switch (p.getDataType()) {
      case TensorProto.DataType.FLOAT_VALUE -> p.getFloatDataCount();
      case TensorProto.DataType.COMPLEX64_VALUE -> p.getFloatDataCount() / 2;
      case TensorProto.DataType.DOUBLE_VALUE -> p.getDoubleDataCount();
      case TensorProto.DataType.COMPLEX128_VALUE -> p.getDoubleDataCount() / 2;
      case TensorProto.DataType.INT64_VALUE -> p.getInt64DataCount();
      case TensorProto.DataType.UINT32_VALUE, TensorProto.DataType.UINT64_VALUE -> p.getUint64DataCount();
      case TensorProto.DataType.STRING_VALUE -> p.getStringDataCount();
      case TensorProto.DataType.INT32_VALUE,
          TensorProto.DataType.INT16_VALUE,
          TensorProto.DataType.INT8_VALUE,
          TensorProto.DataType.UINT16_VALUE,
          TensorProto.DataType.UINT8_VALUE,
          TensorProto.DataType.BOOL_VALUE,
          TensorProto.DataType.FLOAT16_VALUE,
          TensorProto.DataType.BFLOAT16_VALUE -> p.getInt32DataCount();
      default -> -1;
    };
  }

  /** Checks that the data of an inline tensor matches its dims; used when a model is read. */
  static void checkConsistent(TensorProto p) {
    int[] shape = shapeOf(p);
    long n = HostTensor.numel(shape);
    long have = expectedCount(p);
    if (have >= 0 && have != n) {
      throw new ModelFormatException("initializer '" + p.getName() + "' holds " + have + " elements, its dims "
          + Arrays.toString(shape) + " need " + n + " (truncated or corrupt tensor data)", -1);
    }
    if (p.getDataType() == TensorProto.DataType.UNDEFINED_VALUE) {
      throw new ModelFormatException("initializer '" + p.getName() + "' has no data_type", -1);
    }
  }
}
