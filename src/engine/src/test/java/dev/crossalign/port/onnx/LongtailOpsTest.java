package dev.crossalign.port.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.testutil.PortHarness;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.tflite.TfliteWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The less common TFLite builtins (space/batch blocks, normalizations, rounding, comparisons, selection, floor
 * division) in writer-built models, each checked against the real TFLite interpreter twice: through the torch port
 * (chained and isolated, {@link PortHarness}) and through the ONNX export run in ONNX Runtime ({@link
 * ExportHarness}). A case with export = false is one the exporter has no faithful mapping for; it must then refuse.
 */
class LongtailOpsTest {

  /** portAtol / exportAtol: max abs error allowed; 0 for data movement and exact IEEE ops. */
  record Case(String name, Consumer<TfliteWriter> build, double lo, double hi, double portAtol, boolean export,
      double exportAtol) {
    @Override
    public String toString() {
      return name;
    }
  }

  static HostTensor rnd(long seed, double lo, double hi, int... shape) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[(int) HostTensor.numel(shape)];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (lo + (hi - lo) * r.nextDouble());
    }
    return HostTensor.ofFloats(shape, Layout.ANY, v);
  }

  static int ints(TfliteWriter w, String name, int[] shape, int... v) {
    return w.constant(name, HostTensor.ofInts(shape, Layout.ANY, v));
  }

  static int f(TfliteWriter w, String name, int... shape) {
    return w.tensor(name, TensorType.FLOAT32, shape);
  }

  static Case exact(String name, Consumer<TfliteWriter> b) {
    return new Case(name, b, -2, 2, 0, true, 0);
  }

  // ------------------------------------------------------------------ space / batch

  static Consumer<TfliteWriter> stb(int[] in, int[] block, int[] pads, int[] out) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, in);
      int bs = ints(w, "block", new int[] {2}, block);
      int p = ints(w, "pads", new int[] {2, 2}, pads);
      int y = f(w, "y", out);
      w.op(BuiltinOp.SPACE_TO_BATCH_ND, new OpOptions.None(), new int[] {x, bs, p}, new int[] {y});
      w.outputs(y);
    };
  }

  static Consumer<TfliteWriter> bts(int[] in, int[] block, int[] crops, int[] out) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, in);
      int bs = ints(w, "block", new int[] {2}, block);
      int c = ints(w, "crops", new int[] {2, 2}, crops);
      int y = f(w, "y", out);
      w.op(BuiltinOp.BATCH_TO_SPACE_ND, new OpOptions.None(), new int[] {x, bs, c}, new int[] {y});
      w.outputs(y);
    };
  }

  /**
   * The pattern older converters emit for a dilation-d SAME conv: SPACE_TO_BATCH_ND (block d, padded to a multiple)
   * -> CONV_2D VALID -> BATCH_TO_SPACE_ND (cropped back), here on a 9x9 input, 3x3 kernel, dilation {@code d}.
   */
  static Consumer<TfliteWriter> dilatedConv(int h, int d, int cin, int cout) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, 1, h, h, cin);
      int padTotal = 2 * d; // SAME for a 3x3 kernel at dilation d
      int before = padTotal / 2;
      int hp = h + padTotal;
      int extra = (d - hp % d) % d;
      int after = padTotal - before + extra;
      int bs = ints(w, "block", new int[] {2}, d, d);
      int p = ints(w, "pads", new int[] {2, 2}, before, after, before, after);
      int sh = (hp + extra) / d;
      int s2b = f(w, "s2b", d * d, sh, sh, cin);
      w.op(BuiltinOp.SPACE_TO_BATCH_ND, new OpOptions.None(), new int[] {x, bs, p}, new int[] {s2b});
      int wt = w.constant("w", rnd(11, -1, 1, cout, 3, 3, cin));
      int b = w.constant("b", rnd(12, -1, 1, cout));
      int ch = sh - 2;
      int conv = f(w, "conv", d * d, ch, ch, cout);
      w.op(BuiltinOp.CONV_2D, new OpOptions.Conv2D(Padding.VALID, 1, 1, Activation.NONE, 1, 1),
          new int[] {s2b, wt, b}, new int[] {conv});
      int crop = ch * d - h;
      int bs2 = ints(w, "block2", new int[] {2}, d, d);
      int c = ints(w, "crops", new int[] {2, 2}, 0, crop, 0, crop);
      int y = f(w, "y", 1, h, h, cout);
      w.op(BuiltinOp.BATCH_TO_SPACE_ND, new OpOptions.None(), new int[] {conv, bs2, c}, new int[] {y});
      w.outputs(y);
    };
  }

  static Consumer<TfliteWriter> unary(BuiltinOp op, OpOptions o, int... shape) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, shape);
      int y = f(w, "y", shape);
      w.op(op, o, new int[] {x}, new int[] {y});
      w.outputs(y);
    };
  }

  static OpOptions lrn(int radius, float bias, float alpha, float beta) {
    return new OpOptions.LocalResponseNormalization(radius, bias, alpha, beta);
  }

  static int fc(TfliteWriter w, String name, int[] shape, float... v) {
    return w.constant(name, HostTensor.ofFloats(shape, Layout.ANY, v));
  }

  static int op(TfliteWriter w, BuiltinOp op, int[] in, String out, TensorType type, int... shape) {
    int y = w.tensor(out, type, shape);
    w.op(op, new OpOptions.None(), in, new int[] {y});
    return y;
  }

  /** FLOOR, then + 0.5: exact halves, where ROUND's tie rule shows (TF: half to even). */
  static Consumer<TfliteWriter> roundHalves() {
    return w -> {
      int[] sh = {2, 12};
      int x = w.input("x", TensorType.FLOAT32, sh);
      int fl = op(w, BuiltinOp.FLOOR, new int[] {x}, "floor", TensorType.FLOAT32, sh);
      int half = fc(w, "half", new int[] {1}, 0.5f);
      int h = w.tensor("halves", TensorType.FLOAT32, sh);
      w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {fl, half}, new int[] {h});
      int y = op(w, BuiltinOp.ROUND, new int[] {h}, "y", TensorType.FLOAT32, sh);
      w.outputs(y);
    };
  }

  /** SIGN of floor(x): -1, 0 and 1 all occur. */
  static Consumer<TfliteWriter> signFloat() {
    return w -> {
      int[] sh = {1, 3, 4, 2};
      int x = w.input("x", TensorType.FLOAT32, sh);
      int fl = op(w, BuiltinOp.FLOOR, new int[] {x}, "floor", TensorType.FLOAT32, sh);
      w.outputs(op(w, BuiltinOp.SIGN, new int[] {fl}, "y", TensorType.FLOAT32, sh));
    };
  }

  /** int32 input in [0, 4) minus 2 -> [-2, 1]. */
  static int centeredInts(TfliteWriter w, String name, int... shape) {
    int x = w.input(name, TensorType.INT32, shape);
    int two = w.constant(name + "_two", HostTensor.ofInts(new int[] {1}, Layout.ANY, new int[] {2}));
    int y = w.tensor(name + "_c", TensorType.INT32, shape);
    w.op(BuiltinOp.SUB, new OpOptions.Arithmetic(28, Activation.NONE), new int[] {x, two}, new int[] {y});
    return y;
  }

  static Consumer<TfliteWriter> signInt() {
    return w -> {
      int x = centeredInts(w, "x", 3, 5);
      w.outputs(op(w, BuiltinOp.SIGN, new int[] {x}, "y", TensorType.INT32, 3, 5));
    };
  }

  /** floor(x) (rank 4, -2..1) against a channel constant {-1, 0, 1}: equality occurs. */
  static Consumer<TfliteWriter> compareFloat(BuiltinOp cmp) {
    return w -> {
      int[] sh = {1, 4, 5, 3};
      int x = w.input("x", TensorType.FLOAT32, sh);
      int fl = op(w, BuiltinOp.FLOOR, new int[] {x}, "floor", TensorType.FLOAT32, sh);
      int c = fc(w, "c", new int[] {3}, -1f, 0f, 1f);
      w.outputs(op(w, cmp, new int[] {fl, c}, "y", TensorType.BOOL, sh));
    };
  }

  /** int32 [3, 5] against int32 [5], both inputs in [0, 4). */
  static Consumer<TfliteWriter> compareInt(BuiltinOp cmp) {
    return w -> {
      int a = w.input("a", TensorType.INT32, 3, 5);
      int b = w.input("b", TensorType.INT32, 5);
      w.outputs(op(w, cmp, new int[] {a, b}, "y", TensorType.BOOL, 3, 5));
    };
  }

  /** (x < 0.3) op (x2 > c) with broadcasting [2,3] vs [3]; then LOGICAL_NOT. */
  static Consumer<TfliteWriter> logical(BuiltinOp lop) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, 2, 3);
      int x2 = w.input("x2", TensorType.FLOAT32, 3);
      int l = op(w, BuiltinOp.LESS, new int[] {x, fc(w, "t", new int[0], 0.3f)}, "lt", TensorType.BOOL, 2, 3);
      int g = op(w, BuiltinOp.GREATER, new int[] {x2, fc(w, "c", new int[] {3}, -1f, 0f, 1f)}, "gt", TensorType.BOOL,
          3);
      int r = op(w, lop, new int[] {l, g}, "r", TensorType.BOOL, 2, 3);
      w.outputs(op(w, BuiltinOp.LOGICAL_NOT, new int[] {r}, "y", TensorType.BOOL, 2, 3));
    };
  }

  /** SELECT_V2(a < b, a, const [5, 3]) with a [1, 4, 5, 3] (NCHW in the port), b [3]. */
  static Consumer<TfliteWriter> selectV2() {
    return w -> {
      int[] sh = {1, 4, 5, 3};
      int a = w.input("a", TensorType.FLOAT32, sh);
      int b = w.input("b", TensorType.FLOAT32, 3);
      int cond = op(w, BuiltinOp.LESS, new int[] {a, b}, "cond", TensorType.BOOL, sh);
      int other = w.constant("other", rnd(5, -9, 9, 5, 3));
      w.outputs(op(w, BuiltinOp.SELECT_V2, new int[] {cond, a, other}, "y", TensorType.FLOAT32, sh));
    };
  }

  /** SELECT (v1) with a rank-1 condition over the first axis of x, y [3, 4] (or a same-shape condition). */
  static Consumer<TfliteWriter> selectV1(boolean rankOne) {
    return w -> {
      int[] csh = rankOne ? new int[] {3} : new int[] {3, 4};
      int c = w.input("c", TensorType.FLOAT32, csh);
      int cond = op(w, BuiltinOp.GREATER, new int[] {c, fc(w, "z", new int[0], 0f)}, "cond", TensorType.BOOL, csh);
      int x = w.input("x", TensorType.FLOAT32, 3, 4);
      int y = w.input("y", TensorType.FLOAT32, 3, 4);
      w.outputs(op(w, BuiltinOp.SELECT, new int[] {cond, x, y}, "out", TensorType.FLOAT32, 3, 4));
    };
  }

  /** x [1, 3, 4, 5] (NCHW in the port) by a channel divisor with both signs and small magnitudes. */
  static Consumer<TfliteWriter> floorFloat(BuiltinOp fop) {
    return w -> {
      int[] sh = {1, 3, 4, 5};
      int x = w.input("x", TensorType.FLOAT32, sh);
      int d = fc(w, "d", new int[] {5}, -0.7f, -0.3f, 0.25f, 0.6f, 1.5f);
      w.outputs(op(w, fop, new int[] {x, d}, "y", TensorType.FLOAT32, sh));
    };
  }

  static Consumer<TfliteWriter> floorInt(BuiltinOp fop) {
    return w -> {
      int x = centeredInts(w, "x", 4, 6);
      int d = w.constant("d", HostTensor.ofInts(new int[] {6}, Layout.ANY, new int[] {-3, -2, -1, 1, 2, 3}));
      w.outputs(op(w, fop, new int[] {x, d}, "y", TensorType.INT32, 4, 6));
    };
  }

  static Consumer<TfliteWriter> addN(TensorType t, int n, int... shape) {
    return w -> {
      int[] ins = new int[n];
      for (int i = 0; i < n; i++) {
        ins[i] = w.input("x" + i, t, shape);
      }
      w.outputs(op(w, BuiltinOp.ADD_N, ins, "y", t, shape));
    };
  }

  static Consumer<TfliteWriter> reduce(BuiltinOp op, TensorType t, int[] in, int[] axes, boolean keep, int[] out) {
    return w -> {
      int x = w.input("x", t, in);
      int a = ints(w, "axes", new int[] {axes.length}, axes);
      int y = w.tensor("y", t, out);
      w.op(op, new OpOptions.Reducer(keep), new int[] {x, a}, new int[] {y});
      w.outputs(y);
    };
  }

  /** REDUCE_ANY / ALL of (x < 0.5) on [1, 4, 5, 3]. */
  static Consumer<TfliteWriter> reduceBool(BuiltinOp op, int[] axes, boolean keep, int[] out) {
    return w -> {
      int[] sh = {1, 4, 5, 3};
      int x = w.input("x", TensorType.FLOAT32, sh);
      int c = op(w, BuiltinOp.LESS, new int[] {x, fc(w, "h", new int[0], 0.5f)}, "cond", TensorType.BOOL, sh);
      int a = ints(w, "axes", new int[] {axes.length}, axes);
      int y = w.tensor("y", TensorType.BOOL, out);
      w.op(op, new OpOptions.Reducer(keep), new int[] {c, a}, new int[] {y});
      w.outputs(y);
    };
  }

  static Consumer<TfliteWriter> withConst(BuiltinOp op, OpOptions o, int[] in, int constInput, int[] constShape,
      int[] constValues, TensorType outType, int[] out) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, in);
      int c = ints(w, "k", constShape, constValues);
      int[] ins = constInput == 1 ? new int[] {x, c} : new int[] {c, x};
      int y = w.tensor("y", outType, out);
      // BROADCAST_TO is registered from version 2 in the interpreter's builtin resolver
      w.op(op, o, op == BuiltinOp.BROADCAST_TO ? 2 : 1, ins, new int[] {y});
      w.outputs(y);
    };
  }

  static Consumer<TfliteWriter> shapeOf(TensorType out, int... in) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, in);
      int y = w.tensor("y", out, in.length);
      w.op(BuiltinOp.SHAPE, new OpOptions.Shape(out), new int[] {x}, new int[] {y});
      int z = w.tensor("z", out, in.length);
      w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {y, y}, new int[] {z});
      w.outputs(y, z);
    };
  }

  static Consumer<TfliteWriter> rangeInt(int start, int limit, int delta, int n) {
    return w -> {
      int x = w.input("x", TensorType.INT32, n);
      int a = ints(w, "start", new int[0], start);
      int b = ints(w, "limit", new int[0], limit);
      int d = ints(w, "delta", new int[0], delta);
      int r = w.tensor("r", TensorType.INT32, n);
      w.op(BuiltinOp.RANGE, new OpOptions.None(), new int[] {a, b, d}, new int[] {r});
      int y = w.tensor("y", TensorType.INT32, n);
      w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, r}, new int[] {y});
      w.outputs(y);
    };
  }

  static Consumer<TfliteWriter> rangeFloat(float start, float limit, float delta, int n) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, n);
      int a = fc(w, "start", new int[0], start);
      int b = fc(w, "limit", new int[0], limit);
      int d = fc(w, "delta", new int[0], delta);
      int r = w.tensor("r", TensorType.FLOAT32, n);
      w.op(BuiltinOp.RANGE, new OpOptions.None(), new int[] {a, b, d}, new int[] {r});
      int y = w.tensor("y", TensorType.FLOAT32, n);
      w.op(BuiltinOp.MUL, new OpOptions.Arithmetic(21, Activation.NONE), new int[] {x, r}, new int[] {y});
      w.outputs(y);
    };
  }

  /** FILL dims [2, 3] with a run-time scalar (graph input of rank 0) or a constant. */
  static Consumer<TfliteWriter> fill(boolean runtime) {
    return w -> {
      int v = runtime ? w.input("v", TensorType.FLOAT32) : fc(w, "v", new int[0], 1.25f);
      int x = w.input("x", TensorType.FLOAT32, 2, 3);
      int dims = ints(w, "dims", new int[] {2}, 2, 3);
      int f = w.tensor("filled", TensorType.FLOAT32, 2, 3);
      w.op(BuiltinOp.FILL, new OpOptions.None(), new int[] {dims, v}, new int[] {f});
      int y = w.tensor("y", TensorType.FLOAT32, 2, 3);
      w.op(BuiltinOp.ADD, new OpOptions.Arithmetic(11, Activation.NONE), new int[] {x, f}, new int[] {y});
      w.outputs(y);
    };
  }

  static Consumer<TfliteWriter> cumsum(TensorType t, int[] shape, int axis, boolean exclusive, boolean reverse) {
    return w -> {
      int x = w.input("x", t, shape);
      int a = ints(w, "axis", new int[0], axis);
      int y = w.tensor("y", t, shape);
      w.op(BuiltinOp.CUMSUM, new OpOptions.Cumsum(exclusive, reverse), new int[] {x, a}, new int[] {y});
      w.outputs(y);
    };
  }

  /** GATHER_ND from params x with constant indices (shape ishape, depth = last dim). */
  static Consumer<TfliteWriter> gatherNd(int[] params, int[] ishape, int[] idx, int[] out) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, params);
      int i = ints(w, "idx", ishape, idx);
      int y = f(w, "y", out);
      w.op(BuiltinOp.GATHER_ND, new OpOptions.None(), new int[] {x, i}, new int[] {y});
      w.outputs(y);
    };
  }

  /** GATHER_ND with run-time int32 indices (graph input, values in [0, 4)) into params [4, 4, 3]. */
  static Consumer<TfliteWriter> gatherNdRuntime() {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, 4, 4, 3);
      int i = w.input("idx", TensorType.INT32, 5, 2);
      int y = f(w, "y", 5, 3);
      w.op(BuiltinOp.GATHER_ND, new OpOptions.None(), new int[] {x, i}, new int[] {y});
      w.outputs(y);
    };
  }

  /** TOPK_V2 over the last axis; with floor first, many ties (TFLite: lower index first). */
  static Consumer<TfliteWriter> topK(int[] shape, int k, boolean ties) {
    return w -> {
      int x = w.input("x", TensorType.FLOAT32, shape);
      int src = ties ? op(w, BuiltinOp.FLOOR, new int[] {x}, "floor", TensorType.FLOAT32, shape) : x;
      int kc = ints(w, "k", new int[0], k);
      int[] out = shape.clone();
      out[out.length - 1] = k;
      int v = f(w, "values", out);
      int ix = w.tensor("indices", TensorType.INT32, out);
      w.op(BuiltinOp.TOPK_V2, new OpOptions.None(), new int[] {src, kc}, new int[] {v, ix});
      w.outputs(v, ix);
    };
  }

  /**
   * ONE_HOT of int32 indices in [-2, 2) (graph input in [0, 4) minus 2: negatives give all-off rows), depth 3,
   * on / off constants.
   */
  static Consumer<TfliteWriter> oneHot(int axis, int[] in, int[] out) {
    return w -> {
      int x = centeredInts(w, "x", in);
      int depth = ints(w, "depth", new int[0], 3);
      int on = fc(w, "on", new int[0], 2.5f);
      int off = fc(w, "off", new int[0], -0.5f);
      int y = f(w, "y", out);
      w.op(BuiltinOp.ONE_HOT, new OpOptions.OneHot(axis), new int[] {x, depth, on, off}, new int[] {y});
      w.outputs(y);
    };
  }

  static Stream<Arguments> cases() {
    List<Case> l = new ArrayList<>();
    l.add(exact("STB block 2x2 pads [1,1][2,0]", stb(new int[] {1, 6, 4, 3}, new int[] {2, 2},
        new int[] {1, 1, 2, 0}, new int[] {4, 4, 3, 3})));
    l.add(exact("STB batch 2 block 3x2 no pad", stb(new int[] {2, 6, 4, 2}, new int[] {3, 2},
        new int[] {0, 0, 0, 0}, new int[] {12, 2, 2, 2})));
    l.add(exact("BTS block 2x2 crops [0,1][1,0]", bts(new int[] {4, 3, 3, 2}, new int[] {2, 2},
        new int[] {0, 1, 1, 0}, new int[] {1, 5, 5, 2})));
    l.add(exact("BTS batch 2 block 1x3 no crop", bts(new int[] {6, 2, 2, 3}, new int[] {1, 3},
        new int[] {0, 0, 0, 0}, new int[] {2, 2, 6, 3})));
    // A 27-term dot product per output; summation order may differ between XNNPack/TFLite and torch / ORT.
    l.add(new Case("dilated conv d=2 (STB -> CONV VALID -> BTS)", dilatedConv(9, 2, 3, 4), -2, 2, 1e-5, true, 1e-5));
    l.add(new Case("dilated conv d=3 (STB -> CONV VALID -> BTS)", dilatedConv(10, 3, 2, 3), -2, 2, 1e-5, true, 1e-5));
    // Normalizations: a sum of up to 16 squares, a sqrt / pow and a divide; summation order may differ (a few ulp).
    OpOptions l2 = new OpOptions.L2Norm(Activation.NONE);
    l.add(new Case("L2_NORMALIZATION rank 4 (8 ch)", unary(BuiltinOp.L2_NORMALIZATION, l2, 1, 4, 5, 8), -2, 2, 1e-6,
        true, 1e-6));
    l.add(new Case("L2_NORMALIZATION rank 2", unary(BuiltinOp.L2_NORMALIZATION, l2, 3, 16), -2, 2, 1e-6, true, 1e-6));
    // Norms around the epsilon (1e-6): values near 1e-6 / 1e-6 are where max(norm, eps) vs sqrt(max(sumsq, eps))
    // differ by orders of magnitude, so this case pins which one TFLite uses.
    l.add(new Case("L2_NORMALIZATION norms near epsilon", unary(BuiltinOp.L2_NORMALIZATION, l2, 4, 3), -1e-6, 1e-6,
        1e-6, true, 1e-6));
    l.add(new Case("LRN r=2 bias 1 alpha 0.5 beta 0.75",
        unary(BuiltinOp.LOCAL_RESPONSE_NORMALIZATION, lrn(2, 1f, 0.5f, 0.75f), 1, 3, 4, 7), -2, 2, 1e-6, true, 1e-6));
    l.add(new Case("LRN r=0 bias 2 alpha 1e-4 beta 0.5",
        unary(BuiltinOp.LOCAL_RESPONSE_NORMALIZATION, lrn(0, 2f, 1e-4f, 0.5f), 1, 2, 3, 5), -2, 2, 1e-6, true, 1e-6));
    l.add(new Case("LRN radius past depth r=5 on 4 ch",
        unary(BuiltinOp.LOCAL_RESPONSE_NORMALIZATION, lrn(5, 1f, 0.25f, 1f), 2, 3, 3, 4), -2, 2, 1e-6, true, 1e-6));
    // Unary: exact except SIN / COS (libm vs vectorised approximations, about an ulp of values <= 1).
    OpOptions none = new OpOptions.None();
    for (BuiltinOp u : new BuiltinOp[] {BuiltinOp.SQUARE, BuiltinOp.FLOOR, BuiltinOp.CEIL, BuiltinOp.ROUND,
        BuiltinOp.RELU_0_TO_1}) {
      l.add(new Case(u + " rank 4", unary(u, none, 1, 4, 5, 3), -3, 3, 0, true, 0));
      l.add(new Case(u + " rank 2", unary(u, none, 3, 7), -3, 3, 0, true, 0));
    }
    l.add(exact("ROUND exact halves (half to even)", roundHalves()));
    l.add(new Case("SIN", unary(BuiltinOp.SIN, none, 1, 4, 5, 3), -10, 10, 1e-6, true, 1e-6));
    l.add(new Case("COS", unary(BuiltinOp.COS, none, 3, 7), -10, 10, 1e-6, true, 1e-6));
    l.add(exact("SIGN float (floor: -1, 0, 1)", signFloat()));
    l.add(exact("SIGN int32", signInt()));
    for (BuiltinOp cmp : new BuiltinOp[] {BuiltinOp.LESS, BuiltinOp.LESS_EQUAL, BuiltinOp.GREATER,
        BuiltinOp.GREATER_EQUAL, BuiltinOp.EQUAL, BuiltinOp.NOT_EQUAL}) {
      l.add(exact(cmp + " float rank 4 vs channel const", compareFloat(cmp)));
      l.add(exact(cmp + " int32 broadcast", compareInt(cmp)));
    }
    l.add(exact("LOGICAL_AND + LOGICAL_NOT", logical(BuiltinOp.LOGICAL_AND)));
    l.add(exact("LOGICAL_OR + LOGICAL_NOT", logical(BuiltinOp.LOGICAL_OR)));
    l.add(exact("SELECT_V2 broadcast rank 4", selectV2()));
    l.add(exact("SELECT rank-1 condition", selectV1(true)));
    l.add(exact("SELECT same-shape condition", selectV1(false)));
    l.add(exact("FLOOR_DIV float signs", floorFloat(BuiltinOp.FLOOR_DIV)));
    l.add(exact("FLOOR_MOD float signs", floorFloat(BuiltinOp.FLOOR_MOD)));
    l.add(exact("FLOOR_DIV int32 signs", floorInt(BuiltinOp.FLOOR_DIV)));
    l.add(exact("FLOOR_MOD int32 signs", floorInt(BuiltinOp.FLOOR_MOD)));
    l.add(exact("ADD_N 3 x rank 4", addN(TensorType.FLOAT32, 3, 1, 3, 4, 2)));
    l.add(exact("ADD_N 4 x rank 2", addN(TensorType.FLOAT32, 4, 5, 3)));
    l.add(exact("ADD_N int32", addN(TensorType.INT32, 3, 2, 3)));
    // Reductions. Products of up to 20 factors in [0.8, 1.2): torch multiplies one axis at a time, TFLite in one
    // pass, so the rounding order differs (a few ulp of values up to ~40).
    l.add(new Case("REDUCE_PROD axis 2", reduce(BuiltinOp.REDUCE_PROD, TensorType.FLOAT32, new int[] {1, 4, 5, 3},
        new int[] {2}, false, new int[] {1, 4, 3}), 0.8, 1.2, 1e-6, true, 1e-6));
    l.add(new Case("REDUCE_PROD axes [1,2] keep", reduce(BuiltinOp.REDUCE_PROD, TensorType.FLOAT32,
        new int[] {1, 4, 5, 3}, new int[] {1, 2}, true, new int[] {1, 1, 1, 3}), 0.8, 1.2, 2e-5, true, 2e-5));
    l.add(exact("REDUCE_PROD int32 axis -1", reduce(BuiltinOp.REDUCE_PROD, TensorType.INT32, new int[] {3, 5},
        new int[] {-1}, false, new int[] {3})));
    l.add(exact("REDUCE_ANY channel", reduceBool(BuiltinOp.REDUCE_ANY, new int[] {3}, false, new int[] {1, 4, 5})));
    l.add(exact("REDUCE_ALL channel", reduceBool(BuiltinOp.REDUCE_ALL, new int[] {-1}, false, new int[] {1, 4, 5})));
    l.add(exact("REDUCE_ANY h,w keep", reduceBool(BuiltinOp.REDUCE_ANY, new int[] {1, 2}, true,
        new int[] {1, 1, 1, 3})));
    l.add(exact("REDUCE_ALL axis 1", reduceBool(BuiltinOp.REDUCE_ALL, new int[] {1}, false, new int[] {1, 5, 3})));
    // Generators and shape ops: exact.
    l.add(exact("ZEROS_LIKE rank 4", unary(BuiltinOp.ZEROS_LIKE, none, 1, 3, 4, 2)));
    l.add(exact("FILL run-time value", fill(true)));
    l.add(exact("FILL constant value", fill(false)));
    l.add(exact("SHAPE rank 4 int32 (NHWC values)", shapeOf(TensorType.INT32, 1, 4, 5, 3)));
    l.add(exact("SHAPE rank 3 int32", shapeOf(TensorType.INT32, 2, 7, 3)));
    l.add(exact("RANGE int32 3..-7 step -2", rangeInt(3, -7, -2, 5)));
    l.add(exact("RANGE float 0.1..2 step 0.3 (accumulated)", rangeFloat(0.1f, 2.0f, 0.3f, 7)));
    l.add(exact("BROADCAST_TO [3] -> [1,4,5,3]", withConst(BuiltinOp.BROADCAST_TO, none, new int[] {3}, 1,
        new int[] {4}, new int[] {1, 4, 5, 3}, TensorType.FLOAT32, new int[] {1, 4, 5, 3})));
    l.add(exact("BROADCAST_TO [2,1] -> [2,3]", withConst(BuiltinOp.BROADCAST_TO, none, new int[] {2, 1}, 1,
        new int[] {2}, new int[] {2, 3}, TensorType.FLOAT32, new int[] {2, 3})));
    l.add(exact("REVERSE_V2 rank 4 axis 1 (H)", withConst(BuiltinOp.REVERSE_V2, none, new int[] {1, 4, 5, 3}, 1,
        new int[] {1}, new int[] {1}, TensorType.FLOAT32, new int[] {1, 4, 5, 3})));
    l.add(exact("REVERSE_V2 rank 4 axis -1 (C)", withConst(BuiltinOp.REVERSE_V2, none, new int[] {1, 4, 5, 3}, 1,
        new int[] {1}, new int[] {-1}, TensorType.FLOAT32, new int[] {1, 4, 5, 3})));
    l.add(exact("REVERSE_V2 rank 2 axis 0", withConst(BuiltinOp.REVERSE_V2, none, new int[] {3, 4}, 1,
        new int[] {1}, new int[] {0}, TensorType.FLOAT32, new int[] {3, 4})));
    // CUMSUM over 7 float values: torch accumulates in double on the CPU, TFLite in float (an ulp or so).
    for (boolean ex : new boolean[] {false, true}) {
      for (boolean rev : new boolean[] {false, true}) {
        l.add(new Case("CUMSUM rank 4 axis 2 exclusive=" + ex + " reverse=" + rev,
            cumsum(TensorType.FLOAT32, new int[] {1, 3, 7, 2}, 2, ex, rev), -2, 2, 1e-6, true, 1e-6));
      }
    }
    l.add(exact("CUMSUM int32 axis 0 exclusive reverse", cumsum(TensorType.INT32, new int[] {5, 3}, 0, true, true)));
    l.add(exact("GATHER_ND depth 1 rank-4 params", gatherNd(new int[] {3, 4, 5, 2}, new int[] {2, 1},
        new int[] {2, 0}, new int[] {2, 4, 5, 2})));
    l.add(exact("GATHER_ND depth 2 into [3,4,5]", gatherNd(new int[] {3, 4, 5}, new int[] {2, 2, 2},
        new int[] {0, 3, 2, 1, 1, 0, 2, 2}, new int[] {2, 2, 5})));
    l.add(exact("GATHER_ND full depth 3 (scalars)", gatherNd(new int[] {2, 3, 4}, new int[] {3, 3},
        new int[] {1, 2, 3, 0, 0, 0, 1, 1, 2}, new int[] {3})));
    l.add(exact("GATHER_ND run-time indices", gatherNdRuntime()));
    l.add(exact("TOPK_V2 k=3 of 8", topK(new int[] {4, 8}, 3, false)));
    l.add(exact("TOPK_V2 k=5 of 6 with ties", topK(new int[] {2, 3, 6}, 5, true)));
    l.add(exact("TOPK_V2 rank 4 k=2 ties", topK(new int[] {1, 2, 3, 7}, 2, true)));
    l.add(exact("ONE_HOT axis -1 (negatives off)", oneHot(-1, new int[] {4, 5}, new int[] {4, 5, 3})));
    l.add(exact("ONE_HOT axis 0", oneHot(0, new int[] {4, 5}, new int[] {3, 4, 5})));
    l.add(exact("ONE_HOT axis 1 rank-3 out -> rank 4", oneHot(1, new int[] {2, 3, 4}, new int[] {2, 3, 3, 4})));
    return l.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void portMatchesInterpreter(Case cs) {
    TfliteWriter w = new TfliteWriter();
    cs.build().accept(w);
    PortHarness.Result r = PortHarness.assertAligned(w.build(), 99, cs.lo(), cs.hi(), cs.portAtol());
    System.out.printf("[longtail] port   %-50s worst %.3g%n", cs.name(), r.worst());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void exportMatchesInterpreter(Case cs) {
    TfliteWriter w = new TfliteWriter();
    cs.build().accept(w);
    byte[] bytes = w.build();
    if (!cs.export()) {
      var refused = Exporter.check(dev.crossalign.tflite.TfliteModel.read(bytes, "t"), ExportOptions.DEFAULT);
      assertThat(refused).as("the exporter must refuse " + cs.name()).isNotEmpty();
      return;
    }
    ExportHarness.Result r = ExportHarness.run(bytes, 99, cs.lo(), cs.hi());
    ExportHarness.Diff worst = r.worst();
    System.out.printf("[longtail] export %-50s worst %.3g (%s)%n", cs.name(), worst.maxAbs(), worst.name());
    assertThat(r.outputs()).isNotEmpty();
    for (ExportHarness.Diff d : r.diffs()) {
      assertThat(d.maxAbs()).as("max_abs of %s", d.name()).isLessThanOrEqualTo(cs.exportAtol());
    }
  }
}
