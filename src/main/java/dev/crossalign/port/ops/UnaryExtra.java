package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.TensorType;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarOptional;
import org.bytedeco.pytorch.Tensor;

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
    if (Axes.quantized(ctx, 0) || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized input or output");
    }
    TensorType t = ctx.input(0).type();
    TensorType want =
        switch (name) {
          case "LOGICAL_NOT" -> TensorType.BOOL;
          case "SIGN" -> t == TensorType.INT32 ? TensorType.INT32 : TensorType.FLOAT32;
          default -> TensorType.FLOAT32;
        };
    if (t != want) {
      throw ctx.unsupported("input type " + t);
    }
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
