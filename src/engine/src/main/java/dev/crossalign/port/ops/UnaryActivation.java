package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Float32 activations that take no tensor parameter: RELU, RELU6, RELU_N1_TO_1, LEAKY_RELU (alpha), ELU, GELU
 * (approximate: TF's tanh form), LOGISTIC, TANH, HARD_SWISH. Each follows the formula of TFLite's float kernel:
 * LEAKY_RELU x > 0 ? x : alpha * x; ELU x < 0 ? expm1(x) : x; HARD_SWISH (x * min(6, max(0, x + 3))) * (1/6f).
 * Layout is kept.
 */
public final class UnaryActivation implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of(
        "RELU", "RELU6", "RELU_N1_TO_1", "LEAKY_RELU", "ELU", "GELU", "LOGISTIC", "TANH", "HARD_SWISH");
  }

  private static ScalarOptional s(double v) {
    return new ScalarOptional(new Scalar(v));
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    String name = ctx.op().opName();
    if (ctx.input(0).isQuantized() || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized input or output");
    }
    if (ctx.input(0).type() != TensorType.FLOAT32) {
      throw ctx.unsupported("input type " + ctx.input(0).type());
    }
    UnaryOperator<Tensor> f =
        switch (name) {
          case "RELU" -> Tensor::relu;
          case "RELU6" -> x -> x.clamp(s(0), s(6));
          case "RELU_N1_TO_1" -> x -> x.clamp(s(-1), s(1));
          case "LEAKY_RELU" -> {
            float alpha = ctx.op().options() instanceof OpOptions.LeakyRelu l ? l.alpha() : 0f;
            // x * alpha in float32, exactly as TFLite multiplies; Scalar of the float's double value is exact.
            yield x -> x.where(x.gt(new Scalar(0.0)), x.mul(new Scalar((double) alpha)));
          }
          case "ELU" -> x -> x.where(x.ge(new Scalar(0.0)), x.expm1());
          case "GELU" -> {
            boolean approximate = ctx.op().options() instanceof OpOptions.Gelu g && g.approximate();
            yield x -> torch.gelu(x, approximate ? "tanh" : "none");
          }
          case "LOGISTIC" -> Tensor::sigmoid;
          case "TANH" -> Tensor::tanh;
          // TFLite's optimized float kernel multiplies by the float 1/6 instead of dividing by 6 (its reference
          // kernel divides); matching the multiply is bit-exact, the division is off by an ulp on ~25% of values.
          case "HARD_SWISH" -> x -> x.mul(x.add(new Scalar(3.0)).clamp(s(0), s(6))).mul(new Scalar((double) (1f / 6f)));
          default -> throw ctx.unsupported("not an activation op");
        };
    return inputs -> new PortValue[] {new PortValue(f.apply(inputs[0].tensor()), inputs[0].layout())};
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    String name = p.opName();
    if (p.input(0).isQuantized() || p.output(0).isQuantized()) {
      throw p.unsupported("quantized input or output");
    }
    if (p.input(0).type() != TensorType.FLOAT32) {
      throw p.unsupported("input type " + p.input(0).type());
    }
    String x = p.value(0);
    String y = switch (name) {
      case "RELU" -> "torch.relu(" + x + ")";
      case "RELU6" -> "F.hardtanh(" + x + ", 0.0, 6.0)";
      case "RELU_N1_TO_1" -> "F.hardtanh(" + x + ", -1.0, 1.0)";
      case "LEAKY_RELU" -> {
        float alpha = p.op().options() instanceof OpOptions.LeakyRelu l ? l.alpha() : 0f;
        yield "torch.where(" + x + " > 0.0, " + x + ", " + x + " * " + Py.f32(alpha) + ")";
      }
      case "ELU" -> "torch.where(" + x + " >= 0.0, " + x + ", torch.expm1(" + x + "))";
      case "GELU" -> {
        boolean approximate = p.op().options() instanceof OpOptions.Gelu g && g.approximate();
        yield "F.gelu(" + x + ", approximate=" + (approximate ? "\"tanh\"" : "\"none\"") + ")";
      }
      case "LOGISTIC" -> "torch.sigmoid(" + x + ")";
      case "TANH" -> "torch.tanh(" + x + ")";
      // TFLite's optimized kernel multiplies by the float 1/6 (see lower)
      case "HARD_SWISH" -> x + " * torch.clamp(" + x + " + 3.0, 0.0, 6.0) * " + Py.f32(1f / 6f);
      default -> throw p.unsupported("not an activation op");
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
      case "RELU" -> s.node("Relu", List.of(s.x(0)), List.of(s.out(0)));
      case "LOGISTIC" -> s.node("Sigmoid", List.of(s.x(0)), List.of(s.out(0)));
      case "TANH" -> s.node("Tanh", List.of(s.x(0)), List.of(s.out(0)));
      case "ELU" -> s.node("Elu", List.of(s.x(0)), List.of(s.out(0)));
      case "RELU6" -> onnxClip(s, 0f, 6f);
      case "RELU_N1_TO_1" -> onnxClip(s, -1f, 1f);
      case "HARD_SWISH" -> onnxHardSwish(s);
      case "LEAKY_RELU" -> {
        OpOptions.LeakyRelu o = s.options(OpOptions.LeakyRelu.class);
        s.node("LeakyRelu", List.of(s.x(0)), List.of(s.out(0)), OnnxGraphBuilder.attrs().putFloat("alpha", o.alpha()));
      }
      case "GELU" -> onnxGelu(s);
      default -> throw s.refuse("not a unary activation");
    }
  }

  static void onnxClip(OnnxOp s, float lo, float hi) {
    s.node("Clip", List.of(s.x(0), s.f32Scalar(lo), s.f32Scalar(hi)), List.of(s.out(0)));
  }

  /** x * relu6(x + 3) / 6, TFLite's float formula (ONNX HardSwish computes x * clip(x / 6 + 0.5), 1 ulp apart). */
  private static void onnxHardSwish(OnnxOp s) {
    String x = s.x(0);
    String a = s.tmp("plus3");
    String c = s.tmp("relu6");
    String m = s.tmp("mul");
    s.node("Add", List.of(x, s.f32Scalar(3f)), List.of(a));
    s.node("Clip", List.of(a, s.f32Scalar(0f), s.f32Scalar(6f)), List.of(c));
    s.node("Mul", List.of(x, c), List.of(m));
    s.node("Div", List.of(m, s.f32Scalar(6f)), List.of(s.out(0)));
  }

  /** Opset 17 has no Gelu: 0.5 x (1 + erf(x / sqrt 2)), or the tanh form when approximate. */
  private static void onnxGelu(OnnxOp s) {
    boolean approx = s.options() instanceof OpOptions.Gelu g && g.approximate();
    String x = s.x(0);
    String inner = s.tmp("inner");
    String f = s.tmp(approx ? "tanh" : "erf");
    if (approx) {
      String x3 = s.tmp("x3");
      String x2 = s.tmp("x2");
      String t = s.tmp("poly");
      String sum = s.tmp("sum");
      s.node("Mul", List.of(x, x), List.of(x2));
      s.node("Mul", List.of(x2, x), List.of(x3));
      s.node("Mul", List.of(x3, s.f32Scalar(0.044715f)), List.of(t));
      s.node("Add", List.of(x, t), List.of(sum));
      s.node("Mul", List.of(sum, s.f32Scalar((float) Math.sqrt(2.0 / Math.PI))), List.of(inner));
      s.node("Tanh", List.of(inner), List.of(f));
    } else {
      s.node("Mul", List.of(x, s.f32Scalar((float) (1.0 / Math.sqrt(2.0)))), List.of(inner));
      s.node("Erf", List.of(inner), List.of(f));
    }
    String onep = s.tmp("onep");
    String half = s.tmp("half");
    s.node("Add", List.of(f, s.f32Scalar(1f)), List.of(onep));
    s.node("Mul", List.of(x, s.f32Scalar(0.5f)), List.of(half));
    s.node("Mul", List.of(half, onep), List.of(s.out(0)));
  }
}
