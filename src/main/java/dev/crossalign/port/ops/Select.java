package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

/**
 * SELECT and SELECT_V2: cond ? x : y, elementwise, in TFLite axes. SELECT_V2 broadcasts all three numpy-style.
 * SELECT (v1) takes x and y of the same shape and a condition of that shape, a scalar, or a rank-1 condition over
 * x's first axis (TFLite's "low rank condition"), which is reshaped to [n, 1, ...]. Exact.
 */
public final class Select implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SELECT", "SELECT_V2");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean v2 = ctx.op().opName().equals("SELECT_V2");
    if (ctx.inputCount() != 3 || !ctx.hasInput(0) || !ctx.hasInput(1) || !ctx.hasInput(2)) {
      throw ctx.unsupported("expects three inputs");
    }
    if (ctx.input(0).type() != TensorType.BOOL) {
      throw ctx.unsupported("condition type " + ctx.input(0).type());
    }
    if (Axes.quantized(ctx, 1) || Axes.quantized(ctx, 2) || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized operands");
    }
    TensorType t = ctx.input(1).type();
    if (t != ctx.input(2).type()) {
      throw ctx.unsupported("x and y types differ");
    }
    if (t != TensorType.FLOAT32 && t != TensorType.INT32 && t != TensorType.BOOL) {
      throw ctx.unsupported("operand type " + t);
    }
    int[] c = ctx.input(0).shape();
    int[] x = ctx.input(1).shape();
    long[] condShape;
    if (!v2 && !Arrays.equals(c, x)) {
      if (!Arrays.equals(x, ctx.input(2).shape())) {
        throw ctx.unsupported("SELECT with x and y of different shapes");
      }
      if (c.length == 0) {
        condShape = null;
      } else if (c.length == 1 && x.length >= 1 && c[0] == x[0]) {
        condShape = new long[x.length];
        Arrays.fill(condShape, 1);
        condShape[0] = c[0];
      } else {
        throw ctx.unsupported("SELECT condition shape " + Arrays.toString(c) + " for x " + Arrays.toString(x));
      }
    } else {
      condShape = null;
    }
    return inputs -> {
      Tensor cond = inputs[0].tfTensor();
      if (condShape != null) {
        cond = cond.reshape(condShape);
      }
      Tensor r = inputs[1].tfTensor().where(cond, inputs[2].tfTensor());
      return new PortValue[] {Axes.fromTf(r)};
    };
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /**
   * SELECT_V2: Where with numpy broadcasting. SELECT (v1) with a rank-1 condition over x's first axis: the condition
   * is reshaped to [n, 1, ...] first (a rank-4 [n,1,1,1] is the same in NCHW).
   */
  @Override
  public void exportOnnx(OnnxOp s) {
    int r = s.outShape(0).length;
    int[] c = s.inShape(0);
    int[] x = s.inShape(1);
    String cond;
    if (s.opName().equals("SELECT") && c.length == 1 && x.length > 1) {
      if (c[0] != x[0]) {
        throw s.refuse("SELECT condition shape " + Arrays.toString(c));
      }
      long[] shape = new long[x.length];
      Arrays.fill(shape, 1);
      shape[0] = c[0];
      cond = s.tmp("cond");
      s.node("Reshape", List.of(s.x(0), s.i64(shape)), List.of(cond));
    } else {
      cond = s.operand(0, r);
    }
    s.node("Where", List.of(cond, s.operand(1, r), s.operand(2, r)), List.of(s.out(0)));
  }
}
