package dev.crossalign.tflite;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * TFLite's compact weight storage decoded in pure Java, once for every consumer (ONNX export, generated PyTorch
 * code): DEQUANTIZE of fp16 (exact widening) or of int8 per-tensor / per-channel ((q - zero_point) * scale in float32,
 * as TFLite's reference kernel), and DENSIFY of a sparse constant. Failures are {@link IllegalArgumentException}s
 * whose message names the tensor.
 */
public final class WeightFolding {
  private WeightFolding() {}

  /** DEQUANTIZE of constant {@code raw} (the stored value of tensor {@code t}) as float32. */
  public static HostTensor dequantize(TensorInfo t, HostTensor raw) {
    if (raw.dtype() == DType.FLOAT16 || raw.dtype() == DType.FLOAT32) {
      return raw.toFloat32();
    }
    Quantization q = t.quantization();
    if (q == null || !q.isQuantized()) {
      throw new IllegalArgumentException("DEQUANTIZE of '" + t.name() + "' (" + raw.dtype() + ") without quantization");
    }
    int[] shape = raw.shape();
    int n = Math.toIntExact(raw.numel());
    float[] out = new float[n];
    int channels = q.scale().length;
    int inner = 1;
    int axis = q.quantizedDimension();
    if (channels > 1) {
      if (axis < 0 || axis >= shape.length || shape[axis] != channels) {
        throw new IllegalArgumentException("per-channel quantization of '" + t.name() + "': " + channels
            + " scales for dimension " + axis);
      }
      for (int d = axis + 1; d < shape.length; d++) {
        inner *= shape[d];
      }
    }
    for (int i = 0; i < n; i++) {
      int c = channels > 1 ? (i / inner) % channels : 0;
      long zp = q.zeroPoint().length > c ? q.zeroPoint()[c] : 0;
      out[i] = (float) ((raw.getDouble(i) - zp)) * q.scale()[c];
    }
    return HostTensor.ofFloats(shape, Layout.ANY, out);
  }

  /** DENSIFY of the sparse constant {@code t}: its dense value in its own dtype (zeros where nothing is stored). */
  public static HostTensor densify(TfliteModel model, TensorInfo t) {
    if (t.type() == null || t.sparsity() == null) {
      throw new IllegalArgumentException("DENSIFY input '" + t.name() + "' is not a sparse constant");
    }
    DType dt = t.type().dtype();
    int elem = switch (t.type()) {
      case FLOAT32 -> 4;
      case FLOAT16 -> 2;
      case INT8 -> 1;
      default -> throw new IllegalArgumentException("sparse values of type " + t.type());
    };
    ByteBuffer data = model.bufferData(t.buffer());
    if (data.remaining() % elem != 0) {
      throw new IllegalArgumentException("buffer of '" + t.name() + "' is not a multiple of " + elem + " bytes");
    }
    int[] srcOf;
    try {
      srcOf = SparseDecoder.decode(t.shape(), t.sparsity(), data.remaining() / elem);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("sparse tensor '" + t.name() + "': " + e.getMessage());
    }
    int base = data.position();
    ByteBuffer out = ByteBuffer.allocate(srcOf.length * elem).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < srcOf.length; i++) {
      int s = srcOf[i];
      switch (elem) {
        case 4 -> out.putFloat(4 * i, s < 0 ? 0f : data.getFloat(base + 4 * s));
        case 2 -> out.putShort(2 * i, s < 0 ? Half.fromFloat(0f) : data.getShort(base + 2 * s));
        default -> out.put(i, s < 0 ? 0 : data.get(base + s));
      }
    }
    return HostTensor.of(dt, t.shape(), Layout.ANY, out);
  }
}
