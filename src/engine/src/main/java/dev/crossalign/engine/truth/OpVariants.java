package dev.crossalign.engine.truth;

import dev.crossalign.align.Bound;
import dev.crossalign.engine.truth.Diagnoser.Variant;
import dev.crossalign.engine.truth.Float64Ops.Nhwc;
import dev.crossalign.engine.truth.Float64Ops.ResizeMode;
import dev.crossalign.tensor.Half;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Padding;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.DoubleUnaryOperator;
import java.util.function.Function;

/**
 * The op-specific variants the diagnosis tests ({@link Diagnoser}): for conv and depthwise conv a symmetric SAME pad,
 * reversed input channels, fp16-rounded weights, a transposed kernel, a scaled input range and another fused
 * activation; for pooling pads counted and a symmetric pad; for bilinear resize the other coordinate modes; for FC
 * fp16 and transposed weights; for HardSwish, GELU, ReLU6 and ReLU the usual formula mix-ups. Each op is first
 * recomputed unmodified and must reproduce the truth within its bound.
 */
final class OpVariants {
  private OpVariants() {}

  static void opVariants(TfliteModel model, Operator op, Function<String, HostTensor> reference,
      HostTensor truth, double[] t, Bound bound, List<Variant> out, List<String> notes) {
    String name = op.opName();
    switch (name) {
      case "CONV_2D", "DEPTHWISE_CONV_2D" -> convVariants(model, op, reference, truth, t, bound, out, notes);
      case "AVERAGE_POOL_2D", "MAX_POOL_2D" -> poolVariants(model, op, reference, truth, t, bound, out, notes);
      case "RESIZE_BILINEAR" -> resizeVariants(model, op, reference, truth, t, bound, out, notes);
      case "FULLY_CONNECTED" -> fcVariants(model, op, reference, truth, t, bound, out, notes);
      case "HARD_SWISH" -> {
        double[] x = Diagnoser.doubles(BoundRules.input(model, op, 0, reference));
        out.add(unary("SiLU instead of HardSwish", "x * sigmoid(x)", x, v -> v / (1 + Math.exp(-v))));
        out.add(unary("HardSwish through ONNX HardSigmoid defaults", "x * clamp(0.2 x + 0.5, 0, 1) (alpha 0.2, not 1/6)",
            x, v -> v * Math.min(Math.max(0.2 * v + 0.5, 0), 1)));
        out.add(unary("HardSigmoid instead of HardSwish", "relu6(x + 3) / 6 without the factor x", x,
            v -> Math.min(Math.max(v + 3, 0), 6) / 6));
      }
      case "GELU" -> {
        double[] x = Diagnoser.doubles(BoundRules.input(model, op, 0, reference));
        boolean approx = op.options() instanceof OpOptions.Gelu g && g.approximate();
        out.add(approx
            ? unary("exact GELU instead of the tanh approximation", "0.5 x (1 + erf(x / sqrt 2))", x, OpVariants::geluErf)
            : unary("tanh-approximated GELU instead of the exact one", "0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))",
                x, OpVariants::geluTanh));
      }
      case "RELU6" -> {
        double[] x = Diagnoser.doubles(BoundRules.input(model, op, 0, reference));
        out.add(unary("ReLU instead of ReLU6", "max(x, 0) without the clamp at 6", x, v -> Math.max(v, 0)));
        out.add(unary("HardTanh instead of ReLU6", "clamp(x, -1, 1)", x, v -> Math.min(Math.max(v, -1), 1)));
      }
      case "RELU" -> {
        double[] x = Diagnoser.doubles(BoundRules.input(model, op, 0, reference));
        out.add(unary("ReLU6 instead of ReLU", "clamp(x, 0, 6)", x, v -> Math.min(Math.max(v, 0), 6)));
      }
      default -> { }
    }
  }

  private static Variant unary(String name, String detail, double[] x, DoubleUnaryOperator f) {
    return new Variant(name, detail, () -> Arrays.stream(x).map(f).toArray());
  }

  private static double geluErf(double x) {
    return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
  }

  private static double geluTanh(double x) {
    return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
  }

  /** erf to ~1e-15 (series below 3, continued-fraction complement above): no library in the JDK has it. */
  static double erf(double x) {
    double a = Math.abs(x);
    double r;
    if (a < 3) {
      double term = a;
      double sum = a;
      for (int n = 1; n < 200; n++) {
        term *= -a * a / n;
        double add = term / (2 * n + 1);
        sum += add;
        if (Math.abs(add) < 1e-17 * Math.abs(sum)) {
          break;
        }
      }
      r = 2 / Math.sqrt(Math.PI) * sum;
    } else {
      double f = 0;
      for (int n = 60; n >= 1; n--) {
        f = n / 2.0 / (a + f);
      }
      r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
    }
    return x < 0 ? -r : r;
  }

  private static void convVariants(TfliteModel model, Operator op, Function<String, HostTensor> reference,
      HostTensor truth, double[] t, Bound bound, List<Variant> out, List<String> notes) {
    boolean depthwise = op.opName().equals("DEPTHWISE_CONV_2D");
    ConvOptions o = ConvOptions.of(op.options());
    if (o == null) {
      return;
    }
    Nhwc x = nhwc(BoundRules.input(model, op, 0, reference));
    HostTensor wt = Diagnoser.weight(model, op, 1, reference);
    HostTensor bt = Diagnoser.weight(model, op, 2, reference);
    double[] f = Diagnoser.doubles(wt);
    double[] bias = bt == null ? null : Diagnoser.doubles(bt);
    int[] ws = wt.shape();
    int kh = ws[1];
    int kw = ws[2];
    int[] ts = truth.shape();
    int oh = ts[1];
    int ow = ts[2];
    int oc = ts[3];
    int padT = Float64Ops.padBegin(o.padding(), x.h(), oh, o.sh(), kh, o.dh(), false);
    int padL = Float64Ops.padBegin(o.padding(), x.w(), ow, o.sw(), kw, o.dw(), false);
    Conv asIs = new Conv(x, f, bias, padT, padL, o.act());
    Function<Conv, double[]> run = k -> Float64Ops.conv(k.x(), k.f(), oc, kh, kw, depthwise, k.bias(), o.sh(), o.sw(),
        o.dh(), o.dw(), k.padT(), k.padL(), oh, ow, k.act());
    if (!selfCheck(run.apply(asIs), truth, bound, op, notes)) {
      return;
    }
    int symT = Float64Ops.padBegin(o.padding(), x.h(), oh, o.sh(), kh, o.dh(), true);
    int symL = Float64Ops.padBegin(o.padding(), x.w(), ow, o.sw(), kw, o.dw(), true);
    out.addAll(convMixUps(asIs, ws, symT, symL, run));
  }

  /**
   * The conv's mix-ups, each a recomputation of {@code asIs} with one thing changed: the symmetric pad (where it
   * differs), reversed input channels, fp16 weights, a transposed square kernel, scaled input ranges, other fused
   * activations.
   */
  private static List<Variant> convMixUps(Conv asIs, int[] ws, int symT, int symL, Function<Conv, double[]> run) {
    Nhwc x = asIs.x();
    double[] f = asIs.f();
    double[] bias = asIs.bias();
    int padT = asIs.padT();
    int padL = asIs.padL();
    Activation act = asIs.act();
    List<Variant> out = new ArrayList<>();
    if (symT != padT || symL != padL) {
      out.add(new Variant("symmetric SAME padding", String.format(Locale.ROOT,
          "pad top/left %d/%d (kernel // 2 on both sides, PyTorch's padding=k//2) instead of TF's %d/%d with the extra "
              + "pixel at the end", symT, symL, padT, padL),
          () -> run.apply(new Conv(x, f, bias, symT, symL, act))));
    }
    if (x.c() > 1) {
      out.add(new Variant("reversed input channel order", "the input's " + x.c() + " channels reversed (RGB/BGR)",
          () -> run.apply(new Conv(reverseChannels(x), f, bias, padT, padL, act))));
    }
    out.add(new Variant("fp16-rounded weights", "weights and bias rounded to float16 and back",
        () -> run.apply(new Conv(x, fp16(f), bias == null ? null : fp16(bias), padT, padL, act))));
    if (ws[1] == ws[2] && ws[1] > 1) {
      out.add(new Variant("transposed kernel", "kernel rows and columns swapped (kh <-> kw)",
          () -> run.apply(new Conv(x, transposeKernel(f, ws), bias, padT, padL, act))));
    }
    for (double[] ab : new double[][] {{127.5, 127.5}, {255, 0}, {0.5, 0.5}, {2, -1}, {1 / 255.0, 0}}) {
      out.add(new Variant("input range scaled", String.format(Locale.ROOT, "the op saw %s x + %s instead of x",
          fmt(ab[0]), fmt(ab[1])), () -> run.apply(new Conv(affine(x, ab[0], ab[1]), f, bias, padT, padL, act))));
    }
    for (Activation a : new Activation[] {Activation.NONE, Activation.RELU, Activation.RELU6}) {
      if (a != act) {
        out.add(new Variant("fused activation " + a + " instead of " + act, "the same conv followed by " + a,
            () -> run.apply(new Conv(x, f, bias, padT, padL, a))));
      }
    }
    return out;
  }

  /** A conv's or depthwise conv's padding, strides, dilations and fused activation. */
  private record ConvOptions(Padding padding, int sh, int sw, int dh, int dw, Activation act) {
    /** Null for options of another op. */
    static ConvOptions of(OpOptions options) {
      if (options instanceof OpOptions.Conv2D o) {
        return new ConvOptions(o.padding(), o.strideH(), o.strideW(), o.dilationH(), o.dilationW(), o.activation());
      }
      if (options instanceof OpOptions.DepthwiseConv2D o) {
        return new ConvOptions(o.padding(), o.strideH(), o.strideW(), o.dilationH(), o.dilationW(), o.activation());
      }
      return null;
    }
  }

  /** One conv recomputation's inputs. */
  private record Conv(Nhwc x, double[] f, double[] bias, int padT, int padL, Activation act) {}

  private static void poolVariants(TfliteModel model, Operator op, Function<String, HostTensor> reference,
      HostTensor truth, double[] t, Bound bound, List<Variant> out, List<String> notes) {
    if (!(op.options() instanceof OpOptions.Pool2D p)) {
      return;
    }
    boolean max = op.opName().equals("MAX_POOL_2D");
    Nhwc x = nhwc(BoundRules.input(model, op, 0, reference));
    int oh = truth.shape()[1];
    int ow = truth.shape()[2];
    int padT = Float64Ops.padBegin(p.padding(), x.h(), oh, p.strideH(), p.filterH(), 1, false);
    int padL = Float64Ops.padBegin(p.padding(), x.w(), ow, p.strideW(), p.filterW(), 1, false);
    if (!selfCheck(Float64Ops.pool(x, p.filterH(), p.filterW(), p.strideH(), p.strideW(), padT, padL, oh, ow, max,
        false, p.activation()), truth, bound, op, notes)) {
      return;
    }
    if (!max && p.padding() == Padding.SAME) {
      out.add(new Variant("average pool counting pads", "divides by the whole window (count_include_pad) instead of "
          + "the real elements under it", () -> Float64Ops.pool(x, p.filterH(), p.filterW(), p.strideH(),
              p.strideW(), padT, padL, oh, ow, false, true, p.activation())));
    }
    int symT = Float64Ops.padBegin(p.padding(), x.h(), oh, p.strideH(), p.filterH(), 1, true);
    int symL = Float64Ops.padBegin(p.padding(), x.w(), ow, p.strideW(), p.filterW(), 1, true);
    if (symT != padT || symL != padL) {
      out.add(new Variant("symmetric SAME padding", String.format(Locale.ROOT, "pad top/left %d/%d instead of TF's "
          + "%d/%d", symT, symL, padT, padL), () -> Float64Ops.pool(x, p.filterH(), p.filterW(), p.strideH(),
              p.strideW(), symT, symL, oh, ow, max, false, p.activation())));
    }
  }

  private static void resizeVariants(TfliteModel model, Operator op, Function<String, HostTensor> reference,
      HostTensor truth, double[] t, Bound bound, List<Variant> out, List<String> notes) {
    if (!(op.options() instanceof OpOptions.ResizeBilinear r)) {
      return;
    }
    Nhwc x = nhwc(BoundRules.input(model, op, 0, reference));
    int oh = truth.shape()[1];
    int ow = truth.shape()[2];
    ResizeMode own = r.alignCorners() ? ResizeMode.ALIGN_CORNERS
        : r.halfPixelCenters() ? ResizeMode.HALF_PIXEL : ResizeMode.ASYMMETRIC;
    if (!selfCheck(Float64Ops.resizeBilinear(x, oh, ow, own), truth, bound, op, notes)) {
      return;
    }
    for (ResizeMode m : ResizeMode.values()) {
      if (m != own) {
        out.add(new Variant("resize coordinate mode " + m.name().toLowerCase(Locale.ROOT).replace('_', '-'),
            "source coordinates by " + m.name().toLowerCase(Locale.ROOT).replace('_', '-') + " instead of "
                + own.name().toLowerCase(Locale.ROOT).replace('_', '-'),
            () -> Float64Ops.resizeBilinear(x, oh, ow, m)));
      }
    }
  }

  private static void fcVariants(TfliteModel model, Operator op, Function<String, HostTensor> reference,
      HostTensor truth, double[] t, Bound bound, List<Variant> out, List<String> notes) {
    HostTensor xt = BoundRules.input(model, op, 0, reference);
    HostTensor wt = Diagnoser.weight(model, op, 1, reference);
    HostTensor bt = Diagnoser.weight(model, op, 2, reference);
    if (xt == null || wt == null || wt.rank() != 2) {
      return;
    }
    double[] x = Diagnoser.doubles(xt);
    double[] w = Diagnoser.doubles(wt);
    double[] b = bt == null ? null : Diagnoser.doubles(bt);
    int o = wt.shape()[0];
    int k = wt.shape()[1];
    Activation act = op.options() instanceof OpOptions.FullyConnected fc ? fc.activation() : Activation.NONE;
    Function<double[], double[]> run = ww -> {
      int rows = x.length / k;
      double[] y = new double[rows * o];
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < o; j++) {
          double s = b == null ? 0 : b[j];
          for (int i = 0; i < k; i++) {
            s += x[r * k + i] * ww[j * k + i];
          }
          y[r * o + j] = Float64Ops.activate(s, act);
        }
      }
      return y;
    };
    if (!selfCheck(run.apply(w), truth, bound, op, notes)) {
      return;
    }
    out.add(new Variant("fp16-rounded weights", "weights rounded to float16 and back", () -> run.apply(fp16(w))));
    if (o == k) {
      double[] wT = new double[w.length];
      for (int j = 0; j < o; j++) {
        for (int i = 0; i < k; i++) {
          wT[j * k + i] = w[i * k + j];
        }
      }
      out.add(new Variant("transposed weight", "W read as [in, out] instead of [out, in]", () -> run.apply(wT)));
    }
  }

  /** The unmodified recomputation must agree with the truth within the op's own bound before variants count. */
  private static boolean selfCheck(double[] asIs, HostTensor truth, Bound bound, Operator op, List<String> notes) {
    if (asIs.length != truth.numel()) {
      notes.add("recomputation of " + op.opName() + " has " + asIs.length + " elements, the truth " + truth.numel());
      return false;
    }
    double f = bound.check(truth, Diagnoser.f64(truth.shape(), asIs), 0).factor();
    if (!(f <= 1)) {
      notes.add(String.format(Locale.ROOT, "recomputation of %s is %.3gx its bound off the truth; its variants are "
          + "not tested", op.opName(), f));
      return false;
    }
    return true;
  }

  private static Nhwc nhwc(HostTensor t) {
    if (t == null || t.rank() != 4) {
      throw new IllegalArgumentException("the op's input is not a rank-4 NHWC tensor");
    }
    int[] s = t.shape();
    return new Nhwc(Diagnoser.doubles(t), s[0], s[1], s[2], s[3]);
  }

  private static Nhwc reverseChannels(Nhwc x) {
    double[] v = new double[x.v().length];
    int c = x.c();
    for (int p = 0; p < v.length / c; p++) {
      for (int k = 0; k < c; k++) {
        v[p * c + k] = x.v()[p * c + (c - 1 - k)];
      }
    }
    return new Nhwc(v, x.n(), x.h(), x.w(), c);
  }

  private static Nhwc affine(Nhwc x, double a, double b) {
    return new Nhwc(Arrays.stream(x.v()).map(v -> a * v + b).toArray(), x.n(), x.h(), x.w(), x.c());
  }

  private static double[] fp16(double[] v) {
    return Arrays.stream(v).map(d -> Half.toFloat(Half.fromFloat((float) d))).toArray();
  }

  /** filter [o, kh, kw, i] with kh == kw, rows and columns swapped. */
  private static double[] transposeKernel(double[] f, int[] s) {
    double[] out = new double[f.length];
    int o = s[0];
    int k = s[1];
    int in = s[3];
    for (int a = 0; a < o; a++) {
      for (int y = 0; y < k; y++) {
        for (int x = 0; x < k; x++) {
          for (int i = 0; i < in; i++) {
            out[((a * k + y) * k + x) * in + i] = f[((a * k + x) * k + y) * in + i];
          }
        }
      }
    }
    return out;
  }

  private static String fmt(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.format(Locale.ROOT, "%.4g", d);
  }
}
