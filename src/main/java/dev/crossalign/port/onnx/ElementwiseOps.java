package dev.crossalign.port.onnx;

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
    m.put(BuiltinOp.ROUND, s -> unary(s, "Round"));
    m.put(BuiltinOp.SIGN, s -> unary(s, "Sign"));
    m.put(BuiltinOp.LOGICAL_NOT, s -> unary(s, "Not"));
    m.put(BuiltinOp.LESS, s -> binary(s, "Less"));
    m.put(BuiltinOp.LESS_EQUAL, s -> binary(s, "LessOrEqual"));
    m.put(BuiltinOp.GREATER, s -> binary(s, "Greater"));
    m.put(BuiltinOp.GREATER_EQUAL, s -> binary(s, "GreaterOrEqual"));
    m.put(BuiltinOp.EQUAL, s -> binary(s, "Equal"));
    m.put(BuiltinOp.NOT_EQUAL, ElementwiseOps::notEqual);
    m.put(BuiltinOp.LOGICAL_AND, s -> binary(s, "And"));
    m.put(BuiltinOp.LOGICAL_OR, s -> binary(s, "Or"));
    m.put(BuiltinOp.SELECT, ElementwiseOps::select);
    m.put(BuiltinOp.SELECT_V2, ElementwiseOps::select);
    m.put(BuiltinOp.FLOOR_DIV, ElementwiseOps::floorDiv);
    m.put(BuiltinOp.FLOOR_MOD, ElementwiseOps::floorMod);
    m.put(BuiltinOp.ADD_N, ElementwiseOps::addN);
    m.put(BuiltinOp.L2_NORMALIZATION, ElementwiseOps::l2Normalization);
    m.put(BuiltinOp.LOCAL_RESPONSE_NORMALIZATION, ElementwiseOps::localResponseNormalization);
  }

  private static void notEqual(OnnxOp s) {
    int r = s.outShape(0).length;
    String e = s.tmp("equal");
    s.node("Equal", List.of(operand(s, 0, r), operand(s, 1, r)), List.of(e));
    s.node("Not", List.of(e), List.of(s.out(0)));
  }

  /**
   * SELECT_V2: Where with numpy broadcasting. SELECT (v1) with a rank-1 condition over x's first axis: the condition
   * is reshaped to [n, 1, ...] first (a rank-4 [n,1,1,1] is the same in NCHW).
   */
  private static void select(OnnxOp s) {
    int r = s.outShape(0).length;
    int[] c = s.inShape(0);
    int[] x = s.inShape(1);
    String cond;
    if (s.op().builtin() == BuiltinOp.SELECT && c.length == 1 && x.length > 1) {
      if (c[0] != x[0]) {
        throw s.refuse("SELECT condition shape " + java.util.Arrays.toString(c));
      }
      long[] shape = new long[x.length];
      java.util.Arrays.fill(shape, 1);
      shape[0] = c[0];
      cond = s.tmp("cond");
      s.node("Reshape", List.of(s.x(0), s.i64(shape)), List.of(cond));
    } else {
      cond = operand(s, 0, r);
    }
    s.node("Where", List.of(cond, operand(s, 1, r), operand(s, 2, r)), List.of(s.out(0)));
  }

  private static String toType(OnnxOp s, String x, dev.crossalign.tensor.DType t, String tag) {
    String y = s.tmp(tag);
    s.node("Cast", List.of(x), List.of(y), OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(t)));
    return y;
  }

  private static dev.crossalign.tensor.DType floorOpType(OnnxOp s) {
    dev.crossalign.tflite.TensorType t = s.in(0).type();
    if (t != s.in(1).type()
        || (t != dev.crossalign.tflite.TensorType.FLOAT32 && t != dev.crossalign.tflite.TensorType.INT32)) {
      throw s.refuse("operand types " + t + " and " + s.in(1).type());
    }
    return t.dtype();
  }

  /** floor(double(x) / double(y)) cast back, as TFLite's kernel computes it for float32 and int32. */
  private static void floorDiv(OnnxOp s) {
    dev.crossalign.tensor.DType t = floorOpType(s);
    int r = s.outShape(0).length;
    String a = toType(s, operand(s, 0, r), dev.crossalign.tensor.DType.FLOAT64, "x_f64");
    String b = toType(s, operand(s, 1, r), dev.crossalign.tensor.DType.FLOAT64, "y_f64");
    String q = s.tmp("quot");
    String fl = s.tmp("floor");
    s.node("Div", List.of(a, b), List.of(q));
    s.node("Floor", List.of(q), List.of(fl));
    s.node("Cast", List.of(fl), List.of(s.out(0)), OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(t)));
  }

  /** m = fmod(x, y) (Mod fmod=1: C truncated remainder), then m + y where m != 0 and sign(m) != sign(y). */
  private static void floorMod(OnnxOp s) {
    dev.crossalign.tensor.DType t = floorOpType(s);
    int r = s.outShape(0).length;
    String a = operand(s, 0, r);
    String b = operand(s, 1, r);
    String zero = t == dev.crossalign.tensor.DType.INT32
        ? s.init("zero_i32", HostTensor.ofInts(new int[0], Layout.ANY, new int[] {0}))
        : s.f32Scalar(0f);
    String m = s.tmp("fmod");
    s.node("Mod", List.of(a, b), List.of(m), OnnxGraphBuilder.attrs().putInt("fmod", 1));
    String mz = s.tmp("m_is0");
    String mnz = s.tmp("m_not0");
    String bneg = s.tmp("y_neg");
    String mneg = s.tmp("m_neg");
    String diff = s.tmp("sign_differs");
    String fix = s.tmp("fix");
    String sum = s.tmp("m_plus_y");
    s.node("Equal", List.of(m, zero), List.of(mz));
    s.node("Not", List.of(mz), List.of(mnz));
    s.node("Less", List.of(b, zero), List.of(bneg));
    s.node("Less", List.of(m, zero), List.of(mneg));
    s.node("Xor", List.of(bneg, mneg), List.of(diff));
    s.node("And", List.of(mnz, diff), List.of(fix));
    s.node("Add", List.of(m, b), List.of(sum));
    s.node("Where", List.of(fix, sum, m), List.of(s.out(0)));
  }

  /** ADD_N: left-to-right Adds (TFLite's single-threaded order); all inputs have the output's shape. */
  private static void addN(OnnxOp s) {
    int n = s.inputCount();
    if (n == 1) {
      s.node("Identity", List.of(s.x(0)), List.of(s.out(0)));
      return;
    }
    String acc = s.x(0);
    for (int i = 1; i < n; i++) {
      String next = i == n - 1 ? s.out(0) : s.tmp("acc" + i);
      s.node("Add", List.of(acc, s.x(i)), List.of(next));
      acc = next;
    }
  }

  /** x / max(sqrt(sum(x * x, last axis)), 1e-6): TFLite's float kernel (the epsilon bounds the norm). */
  private static void l2Normalization(OnnxOp s) {
    if (s.options() instanceof OpOptions.L2Norm l && l.activation() != Activation.NONE) {
      throw s.refuse("fused activation " + l.activation());
    }
    int r = s.inShape(0).length;
    String x = s.x(0);
    String sq = s.tmp("sq");
    String sum = s.tmp("sumsq");
    String norm = s.tmp("norm");
    String clamped = s.tmp("norm_eps");
    s.node("Mul", List.of(x, x), List.of(sq));
    s.node("ReduceSum", List.of(sq, s.i64(OnnxOp.axis(-1, r))), List.of(sum),
        OnnxGraphBuilder.attrs().putInt("keepdims", 1));
    s.node("Sqrt", List.of(sum), List.of(norm));
    s.node("Max", List.of(norm, s.f32Scalar(1e-6f)), List.of(clamped));
    s.node("Div", List.of(x, clamped), List.of(s.out(0)));
  }

  /**
   * TFLite's LRN: x * (bias + alpha * window_sum(x^2))^-beta, alpha not divided by the window size. Emitted as
   * explicit nodes (Pad + sum of channel slices + Pow) rather than ONNX LRN, whose alpha / size would round
   * differently.
   */
  private static void localResponseNormalization(OnnxOp s) {
    OpOptions.LocalResponseNormalization o = s.options(OpOptions.LocalResponseNormalization.class);
    int[] shape = s.inShape(0);
    if (shape.length != 4) {
      throw s.refuse("rank " + shape.length);
    }
    int radius = o.radius();
    if (radius < 0 || radius > 64) {
      throw s.refuse("radius " + radius + " (at most 64 is exported)");
    }
    long depth = shape[3];
    String x = s.x(0);
    String sq = s.tmp("sq");
    s.node("Mul", List.of(x, x), List.of(sq));
    String padded = s.tmp("sq_padded");
    s.node("Pad", List.of(sq, s.i64(0, radius, 0, 0, 0, radius, 0, 0)), List.of(padded));
    String acc = null;
    for (int k = 0; k <= 2 * radius; k++) {
      String sl = s.tmp("win" + k);
      s.node("Slice", List.of(padded, s.i64(k), s.i64(k + depth), s.i64(1)), List.of(sl));
      if (acc == null) {
        acc = sl;
      } else {
        String next = s.tmp("acc" + k);
        s.node("Add", List.of(acc, sl), List.of(next));
        acc = next;
      }
    }
    String scaled = s.tmp("alpha");
    String biased = s.tmp("bias");
    String mult = s.tmp("mult");
    s.node("Mul", List.of(acc, s.f32Scalar(o.alpha())), List.of(scaled));
    s.node("Add", List.of(scaled, s.f32Scalar(o.bias())), List.of(biased));
    s.node("Pow", List.of(biased, s.f32Scalar(-o.beta())), List.of(mult));
    s.node("Mul", List.of(x, mult), List.of(s.out(0)));
  }

  /**
   * Input i as an operand of an op whose output has rank {@code outRank}: numpy broadcasting prepends 1s; when the
   * output is rank 4 (NCHW) the operand is brought to rank 4 and permuted to NCHW (constants at export time).
   */
  static String operand(OnnxOp s, int i, int outRank) {
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
      HostTensor c = s.constant(i);
      if (c.dtype() == dev.crossalign.tensor.DType.FLOAT16) {
        c = c.toFloat32();
      }
      return s.init(s.in(i).name() + "/nchw", c.reshape(s4).permute(OnnxOp.TO_NCHW, Layout.NCHW));
    }
    String r = s.tmp(s.in(i).name().replace('/', '_') + "_r4");
    s.node("Reshape", List.of(s.x(i), s.i64(s4[0], s4[1], s4[2], s4[3])), List.of(r));
    String t = s.tmp(s.in(i).name().replace('/', '_') + "_nchw");
    s.node("Transpose", List.of(r), List.of(t), OnnxGraphBuilder.attrs().putInts("perm", OnnxOp.TO_NCHW));
    return t;
  }

  private static Activation fused(OnnxOp s) {
    return s.options() instanceof OpOptions.Arithmetic a ? a.activation() : Activation.NONE;
  }

  private static void binary(OnnxOp s, String type) {
    int r = s.outShape(0).length;
    s.node(type, List.of(operand(s, 0, r), operand(s, 1, r)), List.of(s.out(0, false, fused(s))));
  }

  private static void squaredDifference(OnnxOp s) {
    int r = s.outShape(0).length;
    String d = s.tmp("diff");
    s.node("Sub", List.of(operand(s, 0, r), operand(s, 1, r)), List.of(d));
    s.node("Mul", List.of(d, d), List.of(s.out(0)));
  }

  private static void unary(OnnxOp s, String type) {
    s.node(type, List.of(s.x(0)), List.of(s.out(0)));
  }

  private static void rsqrt(OnnxOp s) {
    String q = s.tmp("sqrt");
    s.node("Sqrt", List.of(s.x(0)), List.of(q));
    s.node("Reciprocal", List.of(q), List.of(s.out(0)));
  }

  private static void square(OnnxOp s) {
    String x = s.x(0);
    s.node("Mul", List.of(x, x), List.of(s.out(0)));
  }

  private static void clip(OnnxOp s, float lo, float hi) {
    s.node("Clip", List.of(s.x(0), s.f32Scalar(lo), s.f32Scalar(hi)), List.of(s.out(0)));
  }

  /** x * relu6(x + 3) / 6, TFLite's float formula (ONNX HardSwish computes x * clip(x / 6 + 0.5), 1 ulp apart). */
  private static void hardSwish(OnnxOp s) {
    String x = s.x(0);
    String a = s.tmp("plus3");
    String c = s.tmp("relu6");
    String m = s.tmp("mul");
    s.node("Add", List.of(x, s.f32Scalar(3f)), List.of(a));
    s.node("Clip", List.of(a, s.f32Scalar(0f), s.f32Scalar(6f)), List.of(c));
    s.node("Mul", List.of(x, c), List.of(m));
    s.node("Div", List.of(m, s.f32Scalar(6f)), List.of(s.out(0)));
  }

  private static void leakyRelu(OnnxOp s) {
    OpOptions.LeakyRelu o = s.options(OpOptions.LeakyRelu.class);
    s.node("LeakyRelu", List.of(s.x(0)), List.of(s.out(0)), OnnxGraphBuilder.attrs().putFloat("alpha", o.alpha()));
  }

  private static void prelu(OnnxOp s) {
    int r = s.outShape(0).length;
    s.node("PRelu", List.of(operand(s, 0, r), operand(s, 1, r)), List.of(s.out(0)));
  }

  /** Opset 17 has no Gelu: 0.5 x (1 + erf(x / sqrt 2)), or the tanh form when approximate. */
  private static void gelu(OnnxOp s) {
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

  private static void softmax(OnnxOp s, String type) {
    int r = s.inShape(0).length;
    String x = s.x(0);
    if (s.options() instanceof OpOptions.Softmax sm && sm.beta() != 1f) {
      String scaled = s.tmp("beta");
      s.node("Mul", List.of(x, s.f32Scalar(sm.beta())), List.of(scaled));
      x = scaled;
    }
    s.node(type, List.of(x), List.of(s.out(0)),
        OnnxGraphBuilder.attrs().putInt("axis", OnnxOp.axis(-1, r)));
  }

  private static void cast(OnnxOp s) {
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
