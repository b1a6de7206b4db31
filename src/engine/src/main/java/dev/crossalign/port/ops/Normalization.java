package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * Float32 normalizations over the last (channel) axis, as TFLite's float kernels compute them.
 *
 * <p>L2_NORMALIZATION: x / max(sqrt(sum(x^2)), 1e-6) (reference_ops::L2Normalization with l2norm.cc's epsilon: the
 * epsilon bounds the norm, not the sum of squares). LOCAL_RESPONSE_NORMALIZATION: x * (bias + alpha *
 * sum_{|j-c|<=radius} x_j^2)^-beta, alpha NOT divided by the window size (unlike ONNX's LRN). Layout is kept: the
 * channel axis is torch dim 1 of an NCHW value.
 */
public final class Normalization implements OpLowering {
  /** TFLite's l2norm.cc epsilon. */
  static final float L2_EPSILON = 1e-6f;

  @Override
  public Set<String> opNames() {
    return Set.of("L2_NORMALIZATION", "LOCAL_RESPONSE_NORMALIZATION");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int rank = ctx.input(0).shape().length;
    OpOptions.LocalResponseNormalization lrn = check(ctx);
    if (lrn == null) {
      return inputs -> {
        PortValue x = inputs[0];
        long d = Axes.dim(x, rank - 1);
        Tensor t = x.tensor();
        Tensor norm = t.mul(t).sum(new long[] {d}, true, new ScalarTypeOptional()).sqrt()
            .clamp_min(new Scalar((double) L2_EPSILON));
        return new PortValue[] {new PortValue(t.div(norm), x.layout())};
      };
    }
    OpOptions.LocalResponseNormalization o = lrn;
    int radius = o.radius();
    double bias = o.bias();
    double alpha = o.alpha();
    double negBeta = -(double) o.beta();
    long depth = ctx.input(0).shape()[3];
    return inputs -> {
      PortValue x = inputs[0];
      long d = Axes.dim(x, 3);
      Tensor t = x.tensor();
      Tensor sq = t.mul(t);
      // window sum in the kernel's order: j from c - radius to c + radius, clipped to [0, depth)
      long[] pads = new long[(int) (2 * (t.dim() - d))];
      pads[pads.length - 2] = radius;
      pads[pads.length - 1] = radius;
      Tensor padded = torch.constant_pad_nd(sq, pads, new Scalar(0.0));
      Tensor acc = padded.narrow(d, 0, depth);
      for (int k = 1; k <= 2 * radius; k++) {
        acc = acc.add(padded.narrow(d, k, depth));
      }
      Tensor m = acc.mul(new Scalar(alpha)).add(new Scalar(bias)).pow(new Scalar(negBeta));
      return new PortValue[] {new PortValue(t.mul(m), x.layout())};
    };
  }

  /**
   * Checks the op for the lowering and the code generation alike; returns LRN's options, or null for
   * L2_NORMALIZATION.
   */
  private static OpOptions.LocalResponseNormalization check(OpView v) {
    if (Axes.quantized(v, 0) || v.output(0).isQuantized() || v.input(0).type() != TensorType.FLOAT32) {
      throw v.unsupported("only float32 is lowered (got " + v.input(0).type() + ")");
    }
    int rank = v.input(0).shape().length;
    if (rank < 1) {
      throw v.unsupported("rank 0 input");
    }
    if (v.op().opName().equals("L2_NORMALIZATION")) {
      if (v.op().options() instanceof OpOptions.L2Norm l && l.activation() != Activation.NONE) {
        throw v.unsupported("fused activation " + l.activation() + " (TFLite's kernel refuses it too)");
      }
      return null;
    }
    if (!(v.op().options() instanceof OpOptions.LocalResponseNormalization o)) {
      throw v.unsupported("missing LocalResponseNormalizationOptions");
    }
    if (rank != 4) {
      throw v.unsupported("rank " + rank + " (TFLite's kernel takes rank 4)");
    }
    if (o.radius() < 0 || o.radius() > 1 << 16) {
      throw v.unsupported("radius " + o.radius());
    }
    return o;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int rank = p.inShape(0).length;
    OpOptions.LocalResponseNormalization o = check(p);
    // the channel axis: torch dim 1 of a rank-4 value (held NCHW), else TFLite's last
    int d = rank == 4 ? 1 : rank - 1;
    String x = p.value(0);
    if (o == null) {
      // x / max(sqrt(sum(x^2)), 1e-6): TFLite's epsilon bounds the norm, not the sum of squares
      p.line(p.out(0) + " = " + x + " / torch.clamp_min(torch.sqrt(torch.sum(" + x + " * " + x + ", [" + d
          + "], True)), " + Py.f32(L2_EPSILON) + ")");
      return;
    }
    int radius = o.radius();
    int depth = p.inShape(0)[3];
    String sq = p.temp("squares");
    String acc = p.temp("window_sum");
    // x * (bias + alpha * sum_{|j-c|<=radius} x_j^2)^-beta; alpha NOT divided by the window size (unlike ONNX's
    // LRN); the window summed in the kernel's order, j from c - radius to c + radius, clipped to [0, depth)
    p.line(sq + " = F.pad(" + x + " * " + x + ", [0, 0, 0, 0, " + radius + ", " + radius + "])");
    p.line(acc + " = " + sq + ".narrow(1, 0, " + depth + ")");
    for (int k = 1; k <= 2 * radius; k++) {
      p.line(acc + " = " + acc + " + " + sq + ".narrow(1, " + k + ", " + depth + ")");
    }
    p.line(p.out(0) + " = " + x + " * torch.pow(" + acc + " * " + Py.f32(o.alpha()) + " + " + Py.f32(o.bias())
        + ", " + Py.f32(-o.beta()) + ")");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    if (s.opName().equals("L2_NORMALIZATION")) {
      onnxL2(s);
    } else {
      onnxLrn(s);
    }
  }

  /** x / max(sqrt(sum(x * x, last axis)), 1e-6): TFLite's float kernel (the epsilon bounds the norm). */
  private static void onnxL2(OnnxOp s) {
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
  private static void onnxLrn(OnnxOp s) {
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
}
