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
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Tensor;

/**
 * SQRT, RSQRT, EXP, LOG, ABS, NEG: float32 elementwise math (ABS and NEG also int32). Layout is kept. RSQRT is 1 /
 * sqrt(x) as TFLite computes it; EXP and LOG go through libm-class implementations on both sides, which agree to an
 * ulp or so rather than bit for bit.
 */
public final class UnaryMath implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SQRT", "RSQRT", "EXP", "LOG", "ABS", "NEG");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    String name = ctx.op().opName();
    TensorType t = ctx.input(0).type();
    boolean intOk = name.equals("ABS") || name.equals("NEG");
    if (ctx.input(0).isQuantized()) {
      throw ctx.unsupported("quantized input");
    }
    if (t != TensorType.FLOAT32 && !(intOk && t == TensorType.INT32)) {
      throw ctx.unsupported("input type " + t);
    }
    UnaryOperator<Tensor> f =
        switch (name) {
          case "SQRT" -> Tensor::sqrt;
          case "RSQRT" -> Tensor::rsqrt;
          case "EXP" -> Tensor::exp;
          case "LOG" -> Tensor::log;
          case "ABS" -> Tensor::abs;
          case "NEG" -> Tensor::neg;
          default -> throw ctx.unsupported("not a unary math op");
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
    TensorType t = p.input(0).type();
    boolean intOk = name.equals("ABS") || name.equals("NEG");
    if (p.input(0).isQuantized()) {
      throw p.unsupported("quantized input");
    }
    if (t != TensorType.FLOAT32 && !(intOk && t == TensorType.INT32)) {
      throw p.unsupported("input type " + t);
    }
    String fn = switch (name) {
      case "SQRT" -> "torch.sqrt";
      case "RSQRT" -> "torch.rsqrt";
      case "EXP" -> "torch.exp";
      case "LOG" -> "torch.log";
      case "ABS" -> "torch.abs";
      case "NEG" -> "torch.neg";
      default -> throw p.unsupported("not a unary math op");
    };
    p.line(p.out(0) + " = " + fn + "(" + p.value(0) + ")");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    if (s.opName().equals("RSQRT")) {
      String q = s.tmp("sqrt");
      s.node("Sqrt", List.of(s.x(0)), List.of(q));
      s.node("Reciprocal", List.of(q), List.of(s.out(0)));
      return;
    }
    String type = switch (s.opName()) {
      case "SQRT" -> "Sqrt";
      case "EXP" -> "Exp";
      case "LOG" -> "Log";
      case "ABS" -> "Abs";
      case "NEG" -> "Neg";
      default -> throw s.refuse("not a unary math op");
    };
    s.node(type, List.of(s.x(0)), List.of(s.out(0)));
  }
}
