package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * SQUARE (x * x), FLOOR, CEIL, ROUND (half to even, as TFLite's RoundToNearest and torch's round), SIN, COS,
 * RELU_0_TO_1, SIGN (float32 or int32) and LOGICAL_NOT (bool). Layout is kept. SIN and COS go through different
 * vectorised approximations on each side (about an ulp apart); the rest are exact.
 */
public final class UnaryExtra implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SQUARE", "FLOOR", "CEIL", "ROUND", "SIN", "COS", "RELU_0_TO_1", "SIGN", "LOGICAL_NOT");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    String name = ctx.op().opName();
    check(ctx);
    UnaryOperator<Tensor> f =
        switch (name) {
          case "SQUARE" -> x -> x.mul(x);
          case "FLOOR" -> Tensor::floor;
          case "CEIL" -> Tensor::ceil;
          case "ROUND" -> Tensor::round;
          case "SIN" -> Tensor::sin;
          case "COS" -> Tensor::cos;
          case "RELU_0_TO_1" -> x -> x.clamp(new ScalarOptional(new Scalar(0.0)), new ScalarOptional(new Scalar(1.0)));
          case "SIGN" -> Tensor::sign;
          case "LOGICAL_NOT" -> Tensor::logical_not;
          default -> throw ctx.unsupported("not a unary op of this family");
        };
    return inputs -> new PortValue[] {new PortValue(f.apply(inputs[0].tensor()), inputs[0].layout())};
  }

  /** The input types this family takes, for the lowering and the code generation alike. */
  private static void check(OpView v) {
    if (Axes.quantized(v, 0) || v.output(0).isQuantized()) {
      throw v.unsupported("quantized input or output");
    }
    TensorType t = v.input(0).type();
    TensorType want =
        switch (v.op().opName()) {
          case "LOGICAL_NOT" -> TensorType.BOOL;
          case "SIGN" -> t == TensorType.INT32 ? TensorType.INT32 : TensorType.FLOAT32;
          default -> TensorType.FLOAT32;
        };
    if (t != want) {
      throw v.unsupported("input type " + t);
    }
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    check(p);
    String x = p.value(0);
    String y = switch (p.opName()) {
      case "SQUARE" -> x + " * " + x; // TFLite's kernel: x * x, one rounding
      case "FLOOR" -> "torch.floor(" + x + ")";
      case "CEIL" -> "torch.ceil(" + x + ")";
      case "ROUND" -> "torch.round(" + x + ")"; // half to even, as TFLite's RoundToNearest
      case "SIN" -> "torch.sin(" + x + ")";
      case "COS" -> "torch.cos(" + x + ")";
      case "RELU_0_TO_1" -> "torch.clamp(" + x + ", 0.0, 1.0)";
      case "SIGN" -> "torch.sign(" + x + ")";
      case "LOGICAL_NOT" -> "torch.logical_not(" + x + ")";
      default -> throw p.unsupported("not a unary op of this family");
    };
    p.line(p.out(0) + " = " + y);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    switch (s.opName()) {
      case "SQUARE" -> {
        String x = s.x(0);
        s.node("Mul", List.of(x, x), List.of(s.out(0)));
      }
      case "RELU_0_TO_1" -> UnaryActivation.onnxClip(s, 0f, 1f);
      default -> {
        String type = switch (s.opName()) {
          case "FLOOR" -> "Floor";
          case "CEIL" -> "Ceil";
          case "ROUND" -> "Round";
          case "SIN" -> "Sin";
          case "COS" -> "Cos";
          case "SIGN" -> "Sign";
          case "LOGICAL_NOT" -> "Not";
          default -> throw s.refuse("not a unary op");
        };
        s.node(type, List.of(s.x(0)), List.of(s.out(0)));
      }
    }
  }
}
