package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import java.util.function.BinaryOperator;
import org.bytedeco.pytorch.Tensor;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * LESS, LESS_EQUAL, GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL over float32 / int32 (and EQUAL / NOT_EQUAL over bool),
 * LOGICAL_AND, LOGICAL_OR over bool: numpy broadcasting in TFLite axes (see {@link Broadcast}), bool output. Exact.
 */
public final class Comparison implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("LESS", "LESS_EQUAL", "GREATER", "GREATER_EQUAL", "EQUAL", "NOT_EQUAL", "LOGICAL_AND",
        "LOGICAL_OR");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    String name = ctx.op().opName();
    check(ctx);
    BinaryOperator<Tensor> f =
        switch (name) {
          case "LESS" -> Tensor::lt;
          case "LESS_EQUAL" -> Tensor::le;
          case "GREATER" -> Tensor::gt;
          case "GREATER_EQUAL" -> Tensor::ge;
          case "EQUAL" -> Tensor::eq;
          case "NOT_EQUAL" -> Tensor::ne;
          case "LOGICAL_AND" -> Tensor::logical_and;
          default -> Tensor::logical_or;
        };
    return inputs -> {
      Broadcast bc = Broadcast.of(inputs[0], inputs[1]);
      return new PortValue[] {bc.wrap(f.apply(bc.a(), bc.b()))};
    };
  }

  /** The operands this family takes, for the lowering and the code generation alike. */
  private static void check(OpView v) {
    String name = v.op().opName();
    if (v.inputCount() != 2 || !v.hasInput(0) || !v.hasInput(1)) {
      throw v.unsupported("expects two inputs");
    }
    if (Axes.quantized(v, 0) || Axes.quantized(v, 1)) {
      throw v.unsupported("quantized operands");
    }
    TensorType a = v.input(0).type();
    TensorType b = v.input(1).type();
    if (a != b) {
      throw v.unsupported("operand types differ: " + a + " and " + b);
    }
    boolean logical = name.startsWith("LOGICAL_");
    boolean eq = name.equals("EQUAL") || name.equals("NOT_EQUAL");
    boolean ok = logical ? a == TensorType.BOOL
        : a == TensorType.FLOAT32 || a == TensorType.INT32 || (eq && a == TensorType.BOOL);
    if (!ok) {
      throw v.unsupported("operand type " + a);
    }
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    check(p);
    int rank = p.outShape(0).length;
    String a = Broadcast.py(p, 0, rank);
    String b = Broadcast.py(p, 1, rank);
    String fn = switch (p.opName()) {
      case "LESS" -> "torch.lt";
      case "LESS_EQUAL" -> "torch.le";
      case "GREATER" -> "torch.gt";
      case "GREATER_EQUAL" -> "torch.ge";
      case "EQUAL" -> "torch.eq";
      case "NOT_EQUAL" -> "torch.ne";
      case "LOGICAL_AND" -> "torch.logical_and";
      default -> "torch.logical_or";
    };
    p.line(p.out(0) + " = " + fn + "(" + a + ", " + b + ")  # numpy broadcasting in TFLite axes, bool result");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** The ONNX comparison / logical op with numpy broadcasting; NOT_EQUAL as Not(Equal). */
  @Override
  public void exportOnnx(OnnxOp s) {
    int r = s.outShape(0).length;
    if (s.opName().equals("NOT_EQUAL")) {
      String e = s.tmp("equal");
      s.node("Equal", List.of(s.operand(0, r), s.operand(1, r)), List.of(e));
      s.node("Not", List.of(e), List.of(s.out(0)));
      return;
    }
    String type = switch (s.opName()) {
      case "LESS" -> "Less";
      case "LESS_EQUAL" -> "LessOrEqual";
      case "GREATER" -> "Greater";
      case "GREATER_EQUAL" -> "GreaterOrEqual";
      case "EQUAL" -> "Equal";
      case "LOGICAL_AND" -> "And";
      case "LOGICAL_OR" -> "Or";
      default -> throw s.refuse("not a comparison");
    };
    s.node(type, List.of(s.operand(0, r), s.operand(1, r)), List.of(s.out(0)));
  }
}
