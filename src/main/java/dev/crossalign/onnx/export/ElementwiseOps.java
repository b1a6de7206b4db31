package dev.crossalign.onnx.export;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.List;
import java.util.Map;

/** Elementwise binary ops with numpy broadcasting, unary math, activations, SOFTMAX, LOG_SOFTMAX, CAST. */
final class ElementwiseOps {
  private ElementwiseOps() {}

  static void register(Map<BuiltinOp, OpExporter> m) {
    m.put(BuiltinOp.ADD, s -> binary(s, "Add"));
    m.put(BuiltinOp.SUB, s -> binary(s, "Sub"));
    m.put(BuiltinOp.MUL, s -> binary(s, "Mul"));
    m.put(BuiltinOp.DIV, s -> binary(s, "Div"));
    m.put(BuiltinOp.MAXIMUM, s -> binary(s, "Max"));
    m.put(BuiltinOp.MINIMUM, s -> binary(s, "Min"));
    m.put(BuiltinOp.POW, s -> binary(s, "Pow"));
    m.put(BuiltinOp.SQUARED_DIFFERENCE, ElementwiseOps::squaredDifference);
    m.put(BuiltinOp.RELU, s -> unary(s, "Relu"));
    m.put(BuiltinOp.LOGISTIC, s -> unary(s, "Sigmoid"));
    m.put(BuiltinOp.TANH, s -> unary(s, "Tanh"));
    m.put(BuiltinOp.EXP, s -> unary(s, "Exp"));
    m.put(BuiltinOp.LOG, s -> unary(s, "Log"));
    m.put(BuiltinOp.SQRT, s -> unary(s, "Sqrt"));
    m.put(BuiltinOp.ABS, s -> unary(s, "Abs"));
    m.put(BuiltinOp.NEG, s -> unary(s, "Neg"));
    m.put(BuiltinOp.FLOOR, s -> unary(s, "Floor"));
    m.put(BuiltinOp.CEIL, s -> unary(s, "Ceil"));
    m.put(BuiltinOp.SIN, s -> unary(s, "Sin"));
    m.put(BuiltinOp.COS, s -> unary(s, "Cos"));
    m.put(BuiltinOp.ELU, s -> unary(s, "Elu"));
    m.put(BuiltinOp.RSQRT, ElementwiseOps::rsqrt);
    m.put(BuiltinOp.SQUARE, ElementwiseOps::square);
    m.put(BuiltinOp.RELU6, s -> clip(s, 0f, 6f));
    m.put(BuiltinOp.RELU_N1_TO_1, s -> clip(s, -1f, 1f));
    m.put(BuiltinOp.RELU_0_TO_1, s -> clip(s, 0f, 1f));
    m.put(BuiltinOp.HARD_SWISH, ElementwiseOps::hardSwish);
    m.put(BuiltinOp.LEAKY_RELU, ElementwiseOps::leakyRelu);
    m.put(BuiltinOp.PRELU, ElementwiseOps::prelu);
    m.put(BuiltinOp.GELU, ElementwiseOps::gelu);
    m.put(BuiltinOp.SOFTMAX, s -> softmax(s, "Softmax"));
    m.put(BuiltinOp.LOG_SOFTMAX, s -> softmax(s, "LogSoftmax"));
    m.put(BuiltinOp.CAST, ElementwiseOps::cast);
    m.put(BuiltinOp.DEQUANTIZE, ElementwiseOps::cast);
  }

  /**
   * Input i as an operand of an op whose output has rank {@code outRank}: numpy broadcasting prepends 1s; when the
   * output is rank 4 (NCHW) the operand is brought to rank 4 and permuted to NCHW (constants at export time).
   */
  static String operand(ExportContext.OpScope s, int i, int outRank) {
    int[] shape = s.inShape(i);
    if (outRank != 4 || shape.length == 4) {
      return s.x(i);
    }
    int[] s4 = new int[4];
    int pad = 4 - shape.length;
    for (int k = 0; k < 4; k++) {
      s4[k] = k < pad ? 1 : shape[k - pad];
    }
    if (s.isConst(i)) {
      HostTensor c = s.ctx().constant(s.inIdx(i));
      if (c.dtype() == dev.crossalign.tensor.DType.FLOAT16) {
        c = c.toFloat32();
      }
      return s.init(s.in(i).name() + "/nchw", c.reshape(s4).permute(ExportContext.TO_NCHW, Layout.NCHW));
    }
    String r = s.tmp(s.in(i).name().replace('/', '_') + "_r4");
    s.node("Reshape", List.of(s.x(i), s.ctx().i64(s4[0], s4[1], s4[2], s4[3])), List.of(r));
    String t = s.tmp(s.in(i).name().replace('/', '_') + "_nchw");
    s.node("Transpose", List.of(r), List.of(t), OnnxGraphBuilder.attrs().putInts("perm", ExportContext.TO_NCHW));
    return t;
  }

  private static Activation fused(ExportContext.OpScope s) {
    return s.options() instanceof OpOptions.Arithmetic a ? a.activation() : Activation.NONE;
  }

  private static void binary(ExportContext.OpScope s, String type) {
    int r = s.outShape(0).length;
    s.node(type, List.of(operand(s, 0, r), operand(s, 1, r)), List.of(s.out(0, false, fused(s))));
  }

  private static void squaredDifference(ExportContext.OpScope s) {
    int r = s.outShape(0).length;
    String d = s.tmp("diff");
    s.node("Sub", List.of(operand(s, 0, r), operand(s, 1, r)), List.of(d));
    s.node("Mul", List.of(d, d), List.of(s.out(0)));
  }

  private static void unary(ExportContext.OpScope s, String type) {
    s.node(type, List.of(s.x(0)), List.of(s.out(0)));
  }

  private static void rsqrt(ExportContext.OpScope s) {
    String q = s.tmp("sqrt");
    s.node("Sqrt", List.of(s.x(0)), List.of(q));
    s.node("Reciprocal", List.of(q), List.of(s.out(0)));
  }

  private static void square(ExportContext.OpScope s) {
    String x = s.x(0);
    s.node("Mul", List.of(x, x), List.of(s.out(0)));
  }

  private static void clip(ExportContext.OpScope s, float lo, float hi) {
    s.node("Clip", List.of(s.x(0), s.ctx().f32Scalar(lo), s.ctx().f32Scalar(hi)), List.of(s.out(0)));
  }

  /** x * relu6(x + 3) / 6, TFLite's float formula (ONNX HardSwish computes x * clip(x / 6 + 0.5), 1 ulp apart). */
  private static void hardSwish(ExportContext.OpScope s) {
    String x = s.x(0);
    String a = s.tmp("plus3");
    String c = s.tmp("relu6");
    String m = s.tmp("mul");
    s.node("Add", List.of(x, s.ctx().f32Scalar(3f)), List.of(a));
    s.node("Clip", List.of(a, s.ctx().f32Scalar(0f), s.ctx().f32Scalar(6f)), List.of(c));
    s.node("Mul", List.of(x, c), List.of(m));
    s.node("Div", List.of(m, s.ctx().f32Scalar(6f)), List.of(s.out(0)));
  }

  private static void leakyRelu(ExportContext.OpScope s) {
    OpOptions.LeakyRelu o = s.options(OpOptions.LeakyRelu.class);
    s.node("LeakyRelu", List.of(s.x(0)), List.of(s.out(0)), OnnxGraphBuilder.attrs().putFloat("alpha", o.alpha()));
  }

  private static void prelu(ExportContext.OpScope s) {
    int r = s.outShape(0).length;
    s.node("PRelu", List.of(operand(s, 0, r), operand(s, 1, r)), List.of(s.out(0)));
  }

  /** Opset 17 has no Gelu: 0.5 x (1 + erf(x / sqrt 2)), or the tanh form when approximate. */
  private static void gelu(ExportContext.OpScope s) {
    boolean approx = s.options() instanceof OpOptions.Gelu g && g.approximate();
    ExportContext c = s.ctx();
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
      s.node("Mul", List.of(x3, c.f32Scalar(0.044715f)), List.of(t));
      s.node("Add", List.of(x, t), List.of(sum));
      s.node("Mul", List.of(sum, c.f32Scalar((float) Math.sqrt(2.0 / Math.PI))), List.of(inner));
      s.node("Tanh", List.of(inner), List.of(f));
    } else {
      s.node("Mul", List.of(x, c.f32Scalar((float) (1.0 / Math.sqrt(2.0)))), List.of(inner));
      s.node("Erf", List.of(inner), List.of(f));
    }
    String onep = s.tmp("onep");
    String half = s.tmp("half");
    s.node("Add", List.of(f, c.f32Scalar(1f)), List.of(onep));
    s.node("Mul", List.of(x, c.f32Scalar(0.5f)), List.of(half));
    s.node("Mul", List.of(half, onep), List.of(s.out(0)));
  }

  private static void softmax(ExportContext.OpScope s, String type) {
    int r = s.inShape(0).length;
    String x = s.x(0);
    if (s.options() instanceof OpOptions.Softmax sm && sm.beta() != 1f) {
      String scaled = s.tmp("beta");
      s.node("Mul", List.of(x, s.ctx().f32Scalar(sm.beta())), List.of(scaled));
      x = scaled;
    }
    s.node(type, List.of(x), List.of(s.out(0)),
        OnnxGraphBuilder.attrs().putInt("axis", ExportContext.axis(-1, r)));
  }

  private static void cast(ExportContext.OpScope s) {
    dev.crossalign.tflite.TensorType t = s.outInfo(0).type();
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
