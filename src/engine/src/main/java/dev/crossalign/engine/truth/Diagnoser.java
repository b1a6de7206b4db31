package dev.crossalign.engine.truth;

import dev.crossalign.align.Bound;
import dev.crossalign.align.Diagnosis;
import dev.crossalign.align.Hypothesis;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.WeightFolding;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Diagnosis of a tensor that exceeds its derived bound (issue 13, item 5). Each hypothesis that applies to the op is
 * tested: the op is recomputed in float64 with the suspected variant on the reference's own inputs (a pad on the
 * other side, reversed input channels, fp16-rounded weights, a transposed kernel, another input range, another fused
 * activation, pads counted in an average, another resize coordinate mode, another HardSwish/GELU/ReLU6 formula), or
 * the truth is rearranged as a suspected layout mistake would (NHWC read as NCHW, output channels permuted), and the
 * backend's tensor is measured against it. The variant that brings the backend within its bound is the diagnosis;
 * the rest are ranked by the error they leave. Before any op-specific variant is trusted, the same loops recompute the
 * op as TFLite defines it and must reproduce the truth.
 */
final class Diagnoser {
  private Diagnoser() {}

  /** A variant to test: its name, what it means, and its output in the reference's axes (null: does not apply). */
  record Variant(String name, String detail, Supplier<double[]> compute) {}

  static Diagnosis diagnose(TfliteModel model, Operator op, Function<String, HostTensor> reference, HostTensor truth,
      HostTensor candidate, Bound bound, double allowance, String backend, double boundFactor) {
    double[] t = doubles(truth);
    double[] c = doubles(candidate);
    double scale = 0;
    for (double v : t) {
      if (Double.isFinite(v)) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    scale = Math.max(scale, Double.MIN_NORMAL);
    double before = maxDiff(c, t) / scale;
    List<String> notes = new ArrayList<>();
    List<Variant> variants = new ArrayList<>();
    try {
      OpVariants.opVariants(model, op, reference, truth, t, bound, variants, notes);
    } catch (RuntimeException e) {
      // a shape or option this recomputation does not cover: the data-only hypotheses still run
      notes.add("op variants not recomputed (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
    }
    layoutVariants(truth, t, c, variants);
    List<Hypothesis> hs = new ArrayList<>();
    for (Variant v : variants) {
      double[] out = v.compute().get();
      if (out == null || out.length != t.length) {
        continue;
      }
      double after = maxDiff(c, out) / scale;
      double factor = bound.check(f64(truth.shape(), out), candidate, allowance).factor();
      hs.add(new Hypothesis(v.name(), v.detail(), before, after, factor, factor <= 1));
    }
    hs.sort(Comparator.comparing((Hypothesis h) -> !h.explains()).thenComparingDouble(Hypothesis::errorAfter));
    String pattern = pattern(truth, t, c);
    if (!notes.isEmpty()) {
      pattern = pattern + "; " + String.join("; ", notes);
    }
    return new Diagnosis(op.outputs().length > 0 ? model.main().tensor(op.outputs()[0]).name() : "?", op.opName(),
        backend, boundFactor, pattern, List.copyOf(hs));
  }

  /** Hypotheses that rearrange the truth: the candidate's data is the truth in NCHW order, or its channels permuted. */
  private static void layoutVariants(HostTensor truth, double[] t, double[] c, List<Variant> out) {
    int[] s = truth.shape();
    if (s.length != 4 || s[3] < 2 || (long) s[1] * s[2] < 2) {
      return;
    }
    int n = s[0];
    int h = s[1];
    int w = s[2];
    int ch = s[3];
    out.add(new Variant("NHWC/NCHW confusion", "the tensor's data is the truth in NCHW order read as NHWC", () -> {
      double[] v = new double[t.length];
      int i = 0;
      for (int b = 0; b < n; b++) {
        for (int k = 0; k < ch; k++) {
          for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
              v[i++] = t[((b * h + y) * w + x) * ch + k];
            }
          }
        }
      }
      return v;
    }));
    if ((long) ch * ch * n * h * w > 200_000_000L) {
      return;
    }
    int[] perm = channelMatch(t, c, ch);
    boolean identity = true;
    for (int k = 0; perm != null && k < ch; k++) {
      identity &= perm[k] == k;
    }
    if (perm != null && !identity) {
      out.add(new Variant("output channels permuted", "channel k of the tensor is channel " + describe(perm)
          + " of the truth", () -> {
            double[] v = new double[t.length];
            for (int p = 0; p < t.length / ch; p++) {
              for (int k = 0; k < ch; k++) {
                v[p * ch + k] = t[p * ch + perm[k]];
              }
            }
            return v;
          }));
    }
  }

  /** For each candidate channel, the truth channel nearest to it (max abs); null unless that is a permutation. */
  private static int[] channelMatch(double[] t, double[] c, int ch) {
    int[] perm = new int[ch];
    boolean[] used = new boolean[ch];
    int pixels = t.length / ch;
    for (int k = 0; k < ch; k++) {
      double best = Double.POSITIVE_INFINITY;
      int arg = -1;
      for (int j = 0; j < ch; j++) {
        double d = 0;
        for (int p = 0; p < pixels && d < best; p++) {
          d = Math.max(d, Math.abs(c[p * ch + k] - t[p * ch + j]));
        }
        if (d < best) {
          best = d;
          arg = j;
        }
      }
      if (arg < 0 || used[arg]) {
        return null;
      }
      used[arg] = true;
      perm[k] = arg;
    }
    return perm;
  }

  private static String describe(int[] perm) {
    if (perm.length <= 8) {
      return Arrays.toString(perm);
    }
    return Arrays.toString(Arrays.copyOf(perm, 8)).replace("]", ", ...]");
  }

  /** Where the error sits in an NHWC tensor: the share of sum|c - t| on the last row and column, and on the first. */
  private static String pattern(HostTensor truth, double[] t, double[] c) {
    int[] s = truth.shape();
    if (s.length != 4 || s[1] < 3 || s[2] < 3) {
      return "error spread over " + t.length + " elements";
    }
    double total = 0;
    double last = 0;
    double first = 0;
    for (int i = 0; i < t.length; i++) {
      double d = Math.abs(c[i] - t[i]);
      if (!Double.isFinite(d)) {
        continue;
      }
      int x = (i / s[3]) % s[2];
      int y = (i / s[3] / s[2]) % s[1];
      total += d;
      if (y == s[1] - 1 || x == s[2] - 1) {
        last += d;
      } else if (y == 0 || x == 0) {
        first += d;
      }
    }
    if (total == 0) {
      return "no error";
    }
    double edge = (double) (s[1] + s[2] - 1) / ((long) s[1] * s[2]);
    return String.format(Locale.ROOT, "%.0f%% of the error on the last row/column, %.0f%% on the first "
        + "(each %.0f%% of the positions)", 100 * last / total, 100 * first / total, 100 * edge);
  }

  /** A weight input: the reference's tensor, a constant, or a constant behind DEQUANTIZE / DENSIFY, as float. */
  static HostTensor weight(TfliteModel model, Operator op, int i, Function<String, HostTensor> reference) {
    HostTensor direct = BoundRules.input(model, op, i, reference);
    if (direct != null || i >= op.inputs().length || op.inputs()[i] < 0) {
      return direct;
    }
    int idx = op.inputs()[i];
    TensorInfo t = model.main().tensor(idx);
    if (t.sparsity() != null && model.isConstant(t)) {
      return WeightFolding.densify(model, t);
    }
    for (Operator p : model.main().operators()) {
      if (p.outputs().length == 1 && p.outputs()[0] == idx && p.inputs().length > 0 && p.inputs()[0] >= 0) {
        TensorInfo src = model.main().tensor(p.inputs()[0]);
        if (!model.isConstant(src)) {
          return null;
        }
        HostTensor raw = src.sparsity() != null ? WeightFolding.densify(model, src) : model.constant(src);
        return switch (p.opName()) {
          case "DEQUANTIZE" -> WeightFolding.dequantize(src, raw);
          case "DENSIFY" -> raw;
          default -> null;
        };
      }
    }
    return null;
  }

  static double[] doubles(HostTensor t) {
    if (t == null) {
      throw new IllegalArgumentException("an input of the op is not available");
    }
    double[] v = new double[Math.toIntExact(t.numel())];
    for (int i = 0; i < v.length; i++) {
      v[i] = t.getDouble(i);
    }
    return v;
  }

  static double maxDiff(double[] a, double[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      double d = Math.abs(a[i] - b[i]);
      if (Double.isNaN(d)) {
        d = Double.compare(a[i], b[i]) == 0 ? 0 : Double.POSITIVE_INFINITY;
      }
      m = Math.max(m, d);
    }
    return m;
  }

  static HostTensor f64(int[] shape, double[] v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    for (double d : v) {
      b.putDouble(d);
    }
    b.flip();
    return HostTensor.wrap(DType.FLOAT64, shape, Layout.ANY, b);
  }


}
