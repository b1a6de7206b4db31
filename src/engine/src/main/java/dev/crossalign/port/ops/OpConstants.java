package dev.crossalign.port.ops;

import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TensorType;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;

/** Reads small constant operands (sizes, paddings) at prepare time and builds index tensors the port owns. */
final class OpConstants {
  private OpConstants() {}

  /**
   * Refuses (at prepare time) an op whose given inputs are not float: int8/uint8 quantized kernels and hybrid ops
   * (float activations, quantized weights read raw) would otherwise run on raw integer values and be silently wrong.
   */
  static void requireFloat(LoweringContext ctx, int... inputs) {
    for (int i : inputs) {
      if (!ctx.hasInput(i)) {
        continue;
      }
      TensorInfo t = ctx.input(i);
      boolean isFloat = t.type() == TensorType.FLOAT32 || t.type() == TensorType.FLOAT16;
      if (!isFloat || t.isQuantized()) {
        throw ctx.unsupported(
            "input " + i + " ('" + t.name() + "') is " + (t.isQuantized() ? "quantized " : "") + t.type()
                + "; only float kernels are lowered");
      }
    }
  }

  /** {@link #requireFloat(LoweringContext, int...)} for code generation. */
  static void requireFloat(dev.crossalign.port.codegen.PyOp p, int... inputs) {
    for (int i : inputs) {
      if (!p.hasInput(i)) {
        continue;
      }
      TensorInfo t = p.input(i);
      boolean isFloat = t.type() == TensorType.FLOAT32 || t.type() == TensorType.FLOAT16;
      boolean folded = p.isConstant(i) && p.constant(i).dtype() == dev.crossalign.tensor.DType.FLOAT32;
      if (!folded && (!isFloat || t.isQuantized())) {
        throw p.unsupported(
            "input " + i + " ('" + t.name() + "') is " + (t.isQuantized() ? "quantized " : "") + t.type()
                + "; only float kernels are generated");
      }
    }
  }

  /** The integer values of constant input {@code i}; unsupported when it is computed at run time. */
  static long[] ints(LoweringContext ctx, int i, String what) {
    Tensor t = ctx.constant(i);
    if (t == null) {
      throw ctx.unsupported(what + " computed at run time");
    }
    return TorchTensors.toHost(t, Layout.ANY).toLongArray();
  }

  /** An int64 index tensor on the port's device. */
  static Tensor index(LoweringContext ctx, long[] values) {
    return ctx.prepared(AbstractTensor.create(values, values.length));
  }

  /** A float32 tensor of the given shape on the port's device. */
  static Tensor floats(LoweringContext ctx, float[] values, long... shape) {
    return ctx.prepared(AbstractTensor.create(values, shape));
  }
}
