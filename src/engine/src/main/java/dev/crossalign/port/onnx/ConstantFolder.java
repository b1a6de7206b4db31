package dev.crossalign.port.onnx;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.WeightFolding;
import dev.crossalign.tflite.TensorInfo;

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
        throw new ExportRefusal("constant reshape of '" + ctx.tensor(in).name() + "' changes the size");
      }
      ctx.putConstant(op.outputs()[0], () -> ctx.constant(in).reshape(shape));
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
    java.util.function.Supplier<HostTensor> made =
        op.builtin() == BuiltinOp.DENSIFY ? () -> densify(ctx, t) : () -> dequantize(ctx, in);
    made.get(); // made once now, so that a refusal comes from the folding op, as it always did; then not kept
    ctx.putConstant(op.outputs()[0], made);
    return true;
  }

  private static boolean isShapeOnly(BuiltinOp op) {
    return op == BuiltinOp.RESHAPE || op == BuiltinOp.SQUEEZE || op == BuiltinOp.EXPAND_DIMS;
  }

  private static HostTensor dequantize(ExportContext ctx, int idx) {
    try {
      return WeightFolding.dequantize(ctx.tensor(idx), ctx.constant(idx));
    } catch (IllegalArgumentException e) {
      throw new ExportRefusal(e.getMessage());
    }
  }

  private static HostTensor densify(ExportContext ctx, TensorInfo t) {
    try {
      return WeightFolding.densify(ctx.model, t);
    } catch (IllegalArgumentException e) {
      throw new ExportRefusal(e.getMessage());
    }
  }
}
