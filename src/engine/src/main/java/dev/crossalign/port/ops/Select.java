package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

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
    long[] condShape = condShape(ctx);
    return inputs -> {
      Tensor cond = inputs[0].tfTensor();
      if (condShape != null) {
        cond = cond.reshape(condShape);
      }
      Tensor r = inputs[1].tfTensor().where(cond, inputs[2].tfTensor());
      return new PortValue[] {Axes.fromTf(r)};
    };
  }

  /**
   * Checks the operands (for the lowering and the code generation alike) and returns the shape a SELECT v1
   * low-rank condition is reshaped to ([n, 1, ...]), or null when the condition broadcasts as it is.
   */
  private static long[] condShape(OpView v) {
    boolean v2 = v.op().opName().equals("SELECT_V2");
    if (v.inputCount() != 3 || !v.hasInput(0) || !v.hasInput(1) || !v.hasInput(2)) {
      throw v.unsupported("expects three inputs");
    }
    if (v.input(0).type() != TensorType.BOOL) {
      throw v.unsupported("condition type " + v.input(0).type());
    }
    if (Axes.quantized(v, 1) || Axes.quantized(v, 2) || v.output(0).isQuantized()) {
      throw v.unsupported("quantized operands");
    }
    TensorType t = v.input(1).type();
    if (t != v.input(2).type()) {
      throw v.unsupported("x and y types differ");
    }
    if (t != TensorType.FLOAT32 && t != TensorType.INT32 && t != TensorType.BOOL) {
      throw v.unsupported("operand type " + t);
    }
    int[] c = v.input(0).shape();
    int[] x = v.input(1).shape();
    if (v2 || Arrays.equals(c, x)) {
      return null;
    }
    if (!Arrays.equals(x, v.input(2).shape())) {
      throw v.unsupported("SELECT with x and y of different shapes");
    }
    if (c.length == 0) {
      return null;
    }
    if (c.length == 1 && x.length >= 1 && c[0] == x[0]) {
      long[] shape = new long[x.length];
      Arrays.fill(shape, 1);
      shape[0] = c[0];
      return shape;
    }
    throw v.unsupported("SELECT condition shape " + Arrays.toString(c) + " for x " + Arrays.toString(x));
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    long[] condShape = condShape(p);
    // SELECT v1's rank-1 condition picks whole rows of x's first axis
    String cond = condShape == null ? p.tf(0) : p.tf(0) + ".reshape(" + Py.ints(condShape) + ")";
    Axes.emitFromTf(p, 0, "torch.where(" + cond + ", " + p.tf(1) + ", " + p.tf(2) + ")", p.outShape(0).length);
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
