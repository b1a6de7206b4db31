package dev.crossalign.engine.truth;

import dev.crossalign.align.Bound;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The per-op rules of {@link Bound}: which rule an op's output falls under and its limit per element, from the op's
 * inputs, weights and float64 truth (issue 13, item 2). The ulps of transcendental ops are what a float32 library
 * that rounds its intermediate steps keeps (Eigen, which TFLite's CPU kernels use, and libtorch/Sleef document 1 to
 * 4 ulps; measured on the real models well inside these limits, README's truth section); a library documented to be
 * looser (ONNX Runtime's MLAS logistic and tanh, rational approximations accurate in absolute, not relative, terms) gets
 * an {@link Allowance} beside the bound, named in the report.
 */
final class BoundRules {
  private BoundRules() {}

  private static final double U = Bound.U;

  /** Data movement and selection: the output is one of the inputs' values, no rounding. */
  private static final Set<String> EXACT = Set.of("RESHAPE", "SQUEEZE", "EXPAND_DIMS", "TRANSPOSE", "CONCATENATION",
      "PAD", "PADV2", "MIRROR_PAD", "SLICE", "STRIDED_SLICE", "GATHER", "GATHER_ND", "SPLIT", "SPLIT_V", "PACK",
      "UNPACK", "TILE", "MAX_POOL_2D", "RELU", "RELU6", "RELU_N1_TO_1", "RELU_0_TO_1", "MAXIMUM", "MINIMUM",
      "DEPTH_TO_SPACE", "SPACE_TO_DEPTH", "RESIZE_NEAREST_NEIGHBOR", "ABS", "NEG", "REDUCE_MAX", "REDUCE_MIN",
      "BROADCAST_TO", "SELECT", "SELECT_V2", "DEQUANTIZE", "DENSIFY", "FLOOR", "CEIL", "ROUND", "SIGN",
      "BATCH_TO_SPACE_ND", "SPACE_TO_BATCH_ND", "REVERSE_V2", "ZEROS_LIKE", "ONES_LIKE", "FILL", "CAST", "SHAPE");

  /** One or two correctly rounded operations on exact float32 inputs (a division may be a reciprocal and a product). */
  private static final Map<String, Double> ROUNDED = Map.of("ADD", 2.0, "SUB", 2.0, "MUL", 2.0, "DIV", 4.0,
      "SQUARED_DIFFERENCE", 4.0, "PRELU", 2.0, "LEAKY_RELU", 2.0, "SQUARE", 2.0, "FLOOR_DIV", 4.0);

  /** In units of u = 2^-24 of the result. */
  private static final Map<String, Double> TRANSCENDENTAL = Map.ofEntries(Map.entry("LOGISTIC", 16.0),
      Map.entry("TANH", 16.0), Map.entry("EXP", 8.0), Map.entry("LOG", 8.0), Map.entry("SQRT", 4.0),
      Map.entry("RSQRT", 8.0), Map.entry("SIN", 8.0), Map.entry("COS", 8.0), Map.entry("POW", 16.0),
      Map.entry("GELU", 32.0), Map.entry("ELU", 8.0), Map.entry("LOG_SOFTMAX", 16.0), Map.entry("HARD_SWISH", 0.0));

  /** Ops whose output of the magnitude form is sum|w x| per element. */
  static final Set<String> ACCUMULATING = Set.of("CONV_2D", "DEPTHWISE_CONV_2D", "TRANSPOSE_CONV",
      "Convolution2DTransposeBias", "FULLY_CONNECTED",
      "BATCH_MATMUL", "MEAN", "SUM", "AVERAGE_POOL_2D", "ADD_N", "RESIZE_BILINEAR");

  /** A library's documented looser error on an op, added (absolute) to the bound for that backend only. */
  record Allowance(double abs, String reason) {}

  /** ONNX Runtime's CPU Sigmoid and Tanh: MLAS rational approximations (logistic.cpp, tanh.cpp), absolute accuracy. */
  static final double MLAS_ABS = 4 * U;

  static Allowance allowance(String backend, String op) {
    if (backend.equals(dev.crossalign.backend.BackendKind.ONNXRUNTIME.id()) && (op.equals("LOGISTIC") || op.equals("TANH"))) {
      return new Allowance(MLAS_ABS, "MLAS " + (op.equals("LOGISTIC") ? "logistic" : "tanh")
          + " is a rational approximation accurate to ~1e-7 absolute, not relative (saturated outputs lose digits)");
    }
    return null;
  }

  /** The operator's inputs, by position, as the reference saw them (constants from the model); null if absent. */
  static HostTensor input(TfliteModel model, Operator op, int i, Function<String, HostTensor> reference) {
    if (i >= op.inputs().length || op.inputs()[i] < 0) {
      return null;
    }
    TensorInfo t = model.main().tensor(op.inputs()[i]);
    HostTensor r = reference.apply(t.name());
    if (r != null) {
      return r;
    }
    return model.isConstant(t) && t.sparsity() == null ? model.constant(t) : null;
  }

  /**
   * The bound of {@code op}'s output: {@code truth} its float64 truth and {@code magnitude} its output in the
   * magnitude form on |inputs| (both in the reference's axes; magnitude null when it did not run), {@code reference}
   * the reference's tensors by name. Returns null for an op outside every rule (the report says so).
   */
  static Bound of(TfliteModel model, Operator op, HostTensor truth, HostTensor magnitude,
      Function<String, HostTensor> reference) {
    String name = op.opName();
    int n = Math.toIntExact(truth.numel());
    double[] limit = new double[n];
    if (EXACT.contains(name)) {
      fill(limit, truth, 0);
      return new Bound(Bound.Rule.EXACT, 0, 0, limit);
    }
    Double r = ROUNDED.get(name);
    if (r != null) {
      fill(limit, truth, r);
      return new Bound(Bound.Rule.ROUNDED, 0, r, limit);
    }
    if (name.equals("HARD_SWISH")) {
      // x * relu6(x + 3) / 6 in three or four roundings; the kernels that compute x * clamp(x / 6 + 0.5, 0, 1) lose
      // u * |x| * (|x| / 6 + 0.5) in the cancellation of x / 6 + 0.5 near x = -3
      HostTensor x = input(model, op, 0, reference);
      if (x == null || x.numel() != n) {
        return null;
      }
      for (int i = 0; i < n; i++) {
        double xi = Math.abs(x.getDouble(i));
        limit[i] = 8 * U * (Math.abs(truth.getDouble(i)) + xi * (xi / 6 + 0.5)) + Bound.TINY;
      }
      return new Bound(Bound.Rule.HARD_SWISH, 0, 8, limit);
    }
    Double t = TRANSCENDENTAL.get(name);
    if (t != null) {
      fill(limit, truth, t);
      return new Bound(Bound.Rule.TRANSCENDENTAL, 0, t, limit);
    }
    if (name.equals("SOFTMAX")) {
      return softmax(model, op, truth, reference);
    }
    if (name.equals("L2_NORMALIZATION")) {
      long k = truth.shape()[truth.rank() - 1];
      double rel = Bound.gamma(k) + 8 * U;
      for (int i = 0; i < n; i++) {
        limit[i] = rel * Math.abs(truth.getDouble(i)) + Bound.TINY;
      }
      return new Bound(Bound.Rule.ACCUMULATION, k, 8, limit);
    }
    if (!ACCUMULATING.contains(name) || magnitude == null || magnitude.numel() != n) {
      return null;
    }
    if (name.equals("RESIZE_BILINEAR")) {
      return resize(model, op, truth, magnitude, reference);
    }
    long k = terms(model, op, truth, reference);
    if (k <= 0) {
      return null;
    }
    double g = Bound.gamma(k);
    for (int i = 0; i < n; i++) {
      limit[i] = g * magnitude.getDouble(i) + 2 * U * Math.abs(truth.getDouble(i)) + Bound.TINY;
    }
    return new Bound(Bound.Rule.ACCUMULATION, k, 2, limit);
  }

  private static void fill(double[] limit, HostTensor truth, double ulps) {
    for (int i = 0; i < limit.length; i++) {
      limit[i] = ulps * U * Math.abs(truth.getDouble(i)) + Bound.TINY;
    }
  }

  /** K of an accumulation: the terms of each output's sum, plus one for a bias or a division. */
  private static long terms(TfliteModel model, Operator op, HostTensor truth, Function<String, HostTensor> reference) {
    TensorInfo w = op.inputs().length > 1 && op.inputs()[1] >= 0 ? model.main().tensor(op.inputs()[1]) : null;
    HostTensor x = input(model, op, 0, reference);
    switch (op.opName()) {
      case "CONV_2D", "TRANSPOSE_CONV", "Convolution2DTransposeBias" -> {
        int[] s = w.shape(); // [out, kh, kw, in] (MediaPipe's custom transposed conv: weights are input 1 too)
        return (long) s[1] * s[2] * s[3] + 1;
      }
      case "DEPTHWISE_CONV_2D" -> {
        int[] s = w.shape(); // [1, kh, kw, in * multiplier]
        return (long) s[1] * s[2] + 1;
      }
      case "FULLY_CONNECTED" -> {
        int[] s = w.shape(); // [out, in]
        return s[s.length - 1] + 1L;
      }
      case "BATCH_MATMUL" -> {
        if (x == null) {
          return -1;
        }
        boolean adjX = op.options() instanceof OpOptions.BatchMatMul b && b.adjX();
        return x.shape()[x.rank() - (adjX ? 2 : 1)];
      }
      case "MEAN", "SUM" -> {
        return x == null ? -1 : x.numel() / Math.max(1, truth.numel()) + 1;
      }
      case "AVERAGE_POOL_2D" -> {
        OpOptions.Pool2D p = (OpOptions.Pool2D) op.options();
        return (long) p.filterH() * p.filterW() + 1;
      }
      case "ADD_N" -> {
        return op.inputs().length;
      }
      default -> {
        return -1;
      }
    }
  }

  /**
   * exp(beta (x - max)) / sum: the sum of K positive terms is within gamma_K relative; the exponent's argument is
   * rounded twice (the product by beta and the subtraction), which exp turns into a relative error of its absolute
   * error; exp and the division add a few ulps.
   */
  private static Bound softmax(TfliteModel model, Operator op, HostTensor truth,
      Function<String, HostTensor> reference) {
    HostTensor x = input(model, op, 0, reference);
    int n = Math.toIntExact(truth.numel());
    if (x == null || x.numel() != n || truth.rank() == 0) {
      return null;
    }
    double beta = op.options() instanceof OpOptions.Softmax s ? Math.abs(s.beta()) : 1;
    int k = truth.shape()[truth.rank() - 1];
    double g = Bound.gamma(k);
    double[] limit = new double[n];
    for (int row = 0; row < n / k; row++) {
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < k; j++) {
        max = Math.max(max, x.getDouble((long) row * k + j));
      }
      for (int j = 0; j < k; j++) {
        int i = row * k + j;
        double xi = x.getDouble(i);
        double arg = 2 * U * beta * (Math.abs(xi) + Math.abs(max));
        limit[i] = (g + 8 * U + arg) * Math.abs(truth.getDouble(i)) + Bound.TINY;
      }
    }
    return new Bound(Bound.Rule.SOFTMAX, k, 8, limit);
  }

  /**
   * Bilinear resize: four products summed (gamma_8 of the magnitude, the interpolation of |x|) and the source
   * coordinate, computed in float32, off by up to ~2u of the input extent: the weights move by that much, and the
   * output by it times the difference of two neighbours, at most 2 max|x|.
   */
  private static Bound resize(TfliteModel model, Operator op, HostTensor truth, HostTensor magnitude,
      Function<String, HostTensor> reference) {
    HostTensor x = input(model, op, 0, reference);
    if (x == null || x.rank() != 4) {
      return null;
    }
    double maxX = 0;
    for (long i = 0; i < x.numel(); i++) {
      double v = Math.abs(x.getDouble(i));
      if (Double.isFinite(v)) {
        maxX = Math.max(maxX, v);
      }
    }
    double coord = 4 * U * (x.shape()[1] + x.shape()[2]) * 2 * maxX;
    int n = Math.toIntExact(truth.numel());
    double[] limit = new double[n];
    double g = Bound.gamma(8);
    for (int i = 0; i < n; i++) {
      limit[i] = g * magnitude.getDouble(i) + coord + Bound.TINY;
    }
    return new Bound(Bound.Rule.RESIZE, 8, 4, limit);
  }
}
