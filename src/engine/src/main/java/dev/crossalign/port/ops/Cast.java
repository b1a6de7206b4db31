package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * CAST between FLOAT32, INT32, INT64 and BOOL with TFLite's C++ rules: float -> int is static_cast (truncation toward
 * zero, as torch's conversion), anything -> bool is != 0, bool -> number is 0/1. Types are read from the tensors (the
 * options table is optional in real models).
 */
public final class Cast implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("CAST");
  }

  private static ScalarType torchType(TensorType t) {
    if (t == null) {
      return null;
    }
    return switch (t) {
      case FLOAT32 -> ScalarType.Float;
      case INT32 -> ScalarType.Int;
      case INT64 -> ScalarType.Long;
      case BOOL -> ScalarType.Bool;
      default -> null;
    };
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    ScalarType target = check(ctx);
    return inputs -> {
      var x = inputs[0].tensor();
      var y = target == ScalarType.Bool ? x.ne(new Scalar(0.0)) : x.to(target);
      return new PortValue[] {new PortValue(y, inputs[0].layout())};
    };
  }

  /** The target type of a cast this family takes, for the lowering and the code generation alike. */
  private static ScalarType check(OpView v) {
    TensorType from = v.input(0).type();
    TensorType to = v.output(0).type();
    ScalarType target = torchType(to);
    if (torchType(from) == null || target == null || v.input(0).isQuantized()) {
      throw v.unsupported("cast " + from + " -> " + to);
    }
    return target;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    ScalarType target = check(p);
    String x = p.value(0);
    // TFLite's C++ casts: float -> int truncates toward zero (as torch's conversion), anything -> bool is != 0
    String y = switch (target) {
      case Bool -> "(" + x + " != 0)";
      case Int -> x + ".int()";
      case Long -> x + ".long()";
      default -> x + ".float()";
    };
    p.line(p.out(0) + " = " + y);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    onnxCast(s);
  }

  /** An ONNX Cast to the output's type (CAST, and DEQUANTIZE of a float activation); quantized inputs refused. */
  static void onnxCast(OnnxOp s) {
    TensorType t = s.outInfo(0).type();
    if (t == null || t.dtype() == null) {
      throw s.refuse("output type code " + s.outInfo(0).typeCode());
    }
    if (s.in(0).isQuantized()) {
      throw s.refuse("quantized activations are not exported");
    }
    s.node("Cast", List.of(s.x(0)), List.of(s.out(0)),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(t.dtype())));
  }
}
