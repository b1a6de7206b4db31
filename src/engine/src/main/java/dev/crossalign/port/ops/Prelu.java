package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * PRELU: x >= 0 ? x : x * alpha, alpha broadcast numpy-style in TFLite axes (typically [1, 1, C] or [C] against an
 * NHWC input), then permuted like any other operand of an elementwise op (see {@link Broadcast}).
 */
public final class Prelu implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("PRELU");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    if (ctx.inputCount() != 2 || !ctx.hasInput(1)) {
      throw ctx.unsupported("expects input and alpha");
    }
    if (ctx.input(0).type() != TensorType.FLOAT32
        || ctx.input(1).type() != TensorType.FLOAT32
        || ctx.input(0).isQuantized()
        || ctx.input(1).isQuantized()) {
      throw ctx.unsupported("only float32 input and alpha are lowered");
    }
    return inputs -> {
      Broadcast bc = Broadcast.of(inputs[0], inputs[1]);
      Tensor x = bc.a();
      Tensor y = x.mul(bc.b());
      // where() broadcasts x to y's shape too, as TFLite's broadcast kernel does when alpha is the larger operand.
      return new PortValue[] {bc.wrap(x.where(x.ge(new Scalar(0.0)), y))};
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    if (p.inputCount() != 2 || !p.hasInput(1)) {
      throw p.unsupported("expects input and alpha");
    }
    boolean alphaFloat = p.isConstant(1) && p.constant(1).dtype() == dev.crossalign.tensor.DType.FLOAT32;
    if (p.input(0).type() != TensorType.FLOAT32 || p.input(0).isQuantized()
        || !(alphaFloat || (p.input(1).type() == TensorType.FLOAT32 && !p.input(1).isQuantized()))) {
      throw p.unsupported("only float32 input and alpha are generated");
    }
    int rank = p.outShape(0).length;
    String x = Broadcast.py(p, 0, rank);
    String alpha = Broadcast.py(p, 1, rank);
    p.line(p.out(0) + " = torch.where(" + x + " >= 0.0, " + x + ", " + x + " * " + alpha + ")");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX PRelu; alpha broadcast like a binary operand (NCHW for a rank-4 output). */
  @Override
  public void exportOnnx(OnnxOp s) {
    int r = s.outShape(0).length;
    s.node("PRelu", List.of(s.operand(0, r), s.operand(1, r)), List.of(s.out(0)));
  }
}
