package dev.crossalign.onnx.export;

import dev.crossalign.tflite.SparseDecoder;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Quantization;
import dev.crossalign.tflite.TensorInfo;
import java.nio.ByteBuffer;

/**
 * Folds the constant subgraphs TFLite uses to store weights compactly: DEQUANTIZE of fp16 (exact widening) or of int8
 * per-tensor / per-channel ((q - zero_point) * scale in float32, as TFLite's reference kernel), and DENSIFY of a sparse
 * constant, and RESHAPE / SQUEEZE / EXPAND_DIMS of such a constant. The result becomes an ordinary constant of the context, later an initializer.
 */
final class ConstantFolder {
  private ConstantFolder() {}

  /** True when the op was folded (all its inputs constant and it is one of the folding ops). */
  static boolean tryFold(ExportContext ctx, Operator op) {
    if (op.outputs().length != 1 || op.inputs().length == 0 || op.inputs()[0] < 0) {
      return false;
    }
    if (isShapeOnly(op.builtin())) {
      // RESHAPE / SQUEEZE / EXPAND_DIMS of a folded weight (e.g. DENSIFY -> RESHAPE): the same bytes, new shape.
      int in = op.inputs()[0];
      if (!ctx.isConst(in)) {
        return false;
      }
      HostTensor c = ctx.constant(in);
      int[] shape = ctx.tensor(op.outputs()[0]).shape();
      if (HostTensor.numel(shape) != c.numel()) {
        throw new ExportContext.Refusal("constant reshape of '" + ctx.tensor(in).name() + "' changes the size");
      }
      ctx.putConstant(op.outputs()[0], c.reshape(shape));
      return true;
    }
    if (op.builtin() != BuiltinOp.DEQUANTIZE && op.builtin() != BuiltinOp.DENSIFY) {
      return false;
    }
    if (op.inputs().length != 1) {
      return false;
    }
    int in = op.inputs()[0];
    TensorInfo t = ctx.tensor(in);
    boolean sparseConst = t.sparsity() != null && ctx.model.isConstant(t);
    if (!ctx.isConst(in) && !sparseConst) {
      return false;
    }
    HostTensor value = op.builtin() == BuiltinOp.DENSIFY ? densify(ctx, t) : dequantize(ctx, in);
    ctx.putConstant(op.outputs()[0], value);
    return true;
  }

  private static boolean isShapeOnly(BuiltinOp op) {
    return op == BuiltinOp.RESHAPE || op == BuiltinOp.SQUEEZE || op == BuiltinOp.EXPAND_DIMS;
  }

  private static HostTensor dequantize(ExportContext ctx, int idx) {
    TensorInfo t = ctx.tensor(idx);
    HostTensor raw = ctx.constant(idx);
    if (raw.dtype() == DType.FLOAT16 || raw.dtype() == DType.FLOAT32) {
      return raw.toFloat32();
    }
    Quantization q = t.quantization();
    if (q == null || !q.isQuantized()) {
      throw new ExportContext.Refusal("DEQUANTIZE of '" + t.name() + "' (" + raw.dtype() + ") without quantization");
    }
    int[] shape = raw.shape();
    int n = Math.toIntExact(raw.numel());
    float[] out = new float[n];
    int channels = q.scale().length;
    int inner = 1;
    int axis = q.quantizedDimension();
    if (channels > 1) {
      if (axis < 0 || axis >= shape.length || shape[axis] != channels) {
        throw new ExportContext.Refusal("per-channel quantization of '" + t.name() + "': " + channels
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

  private static HostTensor densify(ExportContext ctx, TensorInfo t) {
    if (t.type() == null || t.sparsity() == null) {
      throw new ExportContext.Refusal("DENSIFY input '" + t.name() + "' is not a sparse constant");
    }
    DType dt = t.type().dtype();
    int elem = switch (t.type()) {
      case FLOAT32 -> 4;
      case FLOAT16 -> 2;
      case INT8 -> 1;
      default -> throw new ExportContext.Refusal("sparse values of type " + t.type());
    };
    ByteBuffer data = ctx.model.bufferData(t.buffer());
    if (data.remaining() % elem != 0) {
      throw new ExportContext.Refusal("buffer of '" + t.name() + "' is not a multiple of " + elem + " bytes");
    }
    int[] srcOf;
    try {
      srcOf = SparseDecoder.decode(t.shape(), t.sparsity(), data.remaining() / elem);
    } catch (IllegalArgumentException e) {
      throw new ExportContext.Refusal("sparse tensor '" + t.name() + "': " + e.getMessage());
    }
    int base = data.position();
    ByteBuffer out = ByteBuffer.allocate(srcOf.length * elem).order(java.nio.ByteOrder.LITTLE_ENDIAN);
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
