package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * ADD, SUB, MUL, DIV (with their fused activation), SQUARED_DIFFERENCE, MAXIMUM, MINIMUM and POW over float32 (and
 * int32 where TFLite's kernel is exact integer arithmetic), broadcast numpy-style in TFLite axes (see {@link
 * Broadcast}). Each is the single IEEE operation TFLite's kernel performs per element, so float results are
 * bit-identical; SQUARED_DIFFERENCE is (a - b) * (a - b) as TFLite computes it.
 */
public final class ElementwiseBinary implements OpLowering {
  private enum Kind {
    ADD, SUB, MUL, DIV, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, POW
  }

  @Override
  public Set<String> opNames() {
    return Set.of("ADD", "SUB", "MUL", "DIV", "SQUARED_DIFFERENCE", "MAXIMUM", "MINIMUM", "POW");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    Kind kind = Kind.valueOf(ctx.op().opName());
    if (ctx.inputCount() != 2 || !ctx.hasInput(0) || !ctx.hasInput(1)) {
      throw ctx.unsupported("expects two inputs");
    }
    Activation act =
        ctx.op().options() instanceof OpOptions.Arithmetic a ? a.activation() : Activation.NONE;
    FusedActivation.check(ctx, act);
    TensorInfo x = ctx.input(0);
    TensorInfo y = ctx.input(1);
    if (x.isQuantized() || y.isQuantized() || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized operands (only float32 and int32 are lowered)");
    }
    if (x.type() != y.type()) {
      throw ctx.unsupported("operand types differ: " + x.type() + " and " + y.type());
    }
    if (x.type() == TensorType.INT32) {
      if (kind == Kind.DIV || kind == Kind.POW) {
        throw ctx.unsupported("int32 " + kind + " (TFLite's integer rounding is not reproduced)");
      }
      if (act != Activation.NONE && act != Activation.RELU) {
        throw ctx.unsupported("int32 with fused activation " + act);
      }
    } else if (x.type() != TensorType.FLOAT32) {
      throw ctx.unsupported("operand type " + x.type());
    }
    // Only ADD, SUB, MUL and DIV have a fused activation (and TFLite's clamp); the others' kernels do not clamp.
    boolean fused = ctx.op().options() instanceof OpOptions.Arithmetic;
    return inputs -> {
      Broadcast bc = Broadcast.of(inputs[0], inputs[1]);
      Tensor a = bc.a();
      Tensor b = bc.b();
      Tensor r =
          switch (kind) {
            case ADD -> a.add(b);
            case SUB -> a.sub(b);
            case MUL -> a.mul(b);
            case DIV -> a.div(b);
            case SQUARED_DIFFERENCE -> {
              Tensor d = a.sub(b);
              yield d.mul(d);
            }
            case MAXIMUM -> torch.maximum(a, b);
            case MINIMUM -> torch.minimum(a, b);
            case POW -> torch.pow(a, b);
          };
      return new PortValue[] {bc.wrap(fused ? FusedActivation.apply(r, act) : r)};
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    Kind kind = Kind.valueOf(p.opName());
    if (p.inputCount() != 2 || !p.hasInput(0) || !p.hasInput(1)) {
      throw p.unsupported("expects two inputs");
    }
    Activation act = p.op().options() instanceof OpOptions.Arithmetic a ? a.activation() : Activation.NONE;
    FusedActivation.check(p, act);
    TensorInfo x = p.input(0);
    TensorInfo y = p.input(1);
    boolean xf = p.isConstant(0) && p.constant(0).dtype() == dev.crossalign.tensor.DType.FLOAT32;
    boolean yf = p.isConstant(1) && p.constant(1).dtype() == dev.crossalign.tensor.DType.FLOAT32;
    if ((x.isQuantized() && !xf) || (y.isQuantized() && !yf) || p.output(0).isQuantized()) {
      throw p.unsupported("quantized operands (only float32 and int32 are generated)");
    }
    if (x.type() != y.type() && !(xf && yf)) {
      throw p.unsupported("operand types differ: " + x.type() + " and " + y.type());
    }
    if (x.type() == TensorType.INT32) {
      if (kind == Kind.DIV || kind == Kind.POW) {
        throw p.unsupported("int32 " + kind + " (TFLite's integer rounding is not reproduced)");
      }
      if (act != Activation.NONE && act != Activation.RELU) {
        throw p.unsupported("int32 with fused activation " + act);
      }
    } else if (x.type() != TensorType.FLOAT32 && !xf) {
      throw p.unsupported("operand type " + x.type());
    }
    int rank = p.outShape(0).length;
    String a = Broadcast.py(p, 0, rank);
    String b = Broadcast.py(p, 1, rank);
    String r = switch (kind) {
      case ADD -> a + " + " + b;
      case SUB -> a + " - " + b;
      case MUL -> a + " * " + b;
      case DIV -> a + " / " + b;
      case SQUARED_DIFFERENCE -> "(" + a + " - " + b + ") * (" + a + " - " + b + ")";
      case MAXIMUM -> "torch.maximum(" + a + ", " + b + ")";
      case MINIMUM -> "torch.minimum(" + a + ", " + b + ")";
      case POW -> "torch.pow(" + a + ", " + b + ")";
    };
    boolean f32 = x.type() == TensorType.FLOAT32 || xf;
    p.line(p.out(0) + " = " + FusedActivation.py(p, "(" + r + ")", act, f32));
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** The ONNX binary op with numpy broadcasting (operands brought to NCHW for a rank-4 output), fused activation. */
  @Override
  public void exportOnnx(OnnxOp s) {
    int r = s.outShape(0).length;
    if (s.opName().equals("SQUARED_DIFFERENCE")) {
      String d = s.tmp("diff");
      s.node("Sub", List.of(s.operand(0, r), s.operand(1, r)), List.of(d));
      s.node("Mul", List.of(d, d), List.of(s.out(0)));
      return;
    }
    String type = switch (s.opName()) {
      case "ADD" -> "Add";
      case "SUB" -> "Sub";
      case "MUL" -> "Mul";
      case "DIV" -> "Div";
      case "MAXIMUM" -> "Max";
      case "MINIMUM" -> "Min";
      case "POW" -> "Pow";
      default -> throw s.refuse("not an elementwise binary op");
    };
    Activation act = s.options() instanceof OpOptions.Arithmetic a ? a.activation() : Activation.NONE;
    s.node(type, List.of(s.operand(0, r), s.operand(1, r)), List.of(s.out(0, false, act)));
  }
}
