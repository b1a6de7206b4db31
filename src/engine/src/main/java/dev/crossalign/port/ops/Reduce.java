package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * MEAN, SUM, REDUCE_MAX, REDUCE_MIN over a constant axis list (negative and repeated axes allowed, as in TF), with
 * keep_dims. An NCHW input is reduced over the mapped dims; with keep_dims the result stays NCHW, without it the
 * kept result is brought to TFLite order and the reduced axes dropped, so the remaining axes keep TF's order. An
 * empty axis list reduces nothing (TF returns the input), unlike torch where an empty dim list means all dims.
 */
public final class Reduce implements OpLowering {
  private enum Kind {
    MEAN,
    SUM,
    MAX,
    MIN
  }

  @Override
  public Set<String> opNames() {
    return Set.of("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    Kind kind =
        switch (ctx.op().opName()) {
          case "MEAN" -> Kind.MEAN;
          case "SUM" -> Kind.SUM;
          case "REDUCE_MAX" -> Kind.MAX;
          default -> Kind.MIN;
        };
    boolean keep = keepDims(ctx.op().options());
    int[] axes = axes(ctx, Axes.longs(Axes.constInts(ctx, 1, "axis")));
    return inputs -> {
      PortValue x = inputs[0];
      if (axes.length == 0) {
        return new PortValue[] {x};
      }
      long[] dims = new long[axes.length];
      for (int k = 0; k < axes.length; k++) {
        dims[k] = Axes.dim(x, axes[k]);
      }
      Tensor t = x.tensor();
      Tensor y =
          switch (kind) {
            case MEAN -> t.mean(dims, true, new ScalarTypeOptional());
            case SUM -> t.sum(dims, true, new ScalarTypeOptional());
            case MAX -> t.amax(dims, true);
            case MIN -> t.amin(dims, true);
          };
      if (y.scalar_type() != t.scalar_type()) {
        y = y.to(t.scalar_type()); // torch sums int32 into int64; TFLite keeps the input type
      }
      return Reduce.result(x, y, axes, keep);
    };
  }

  /** A reduction's keep_dims (false when the op has no options table). */
  static boolean keepDims(OpOptions options) {
    return options instanceof OpOptions.Reducer r && r.keepDims();
  }

  /** The sorted distinct axes, with the input checked, for the lowering and the code generation alike. */
  private static int[] axes(OpView v, long[] given) {
    String name = v.op().opName();
    if (Axes.quantized(v, 0)) {
      throw v.unsupported("quantized input (requantization is not reproduced)");
    }
    DType dt = v.input(0).type().dtype();
    boolean isFloat = dt == DType.FLOAT32 || dt == DType.FLOAT16;
    if (!isFloat && !((dt == DType.INT32 || dt == DType.INT64) && !name.equals("MEAN"))) {
      throw v.unsupported("input type " + v.input(0).type() + " for " + name);
    }
    return Axes.reductionAxes(given, v.input(0).shape().length, v::unsupported);
  }

  /**
   * The reduced value {@code y} (reduced over the sorted TFLite {@code axes} of {@code x}, dims kept) as the op's
   * output: as is with keep_dims, else with the reduced axes dropped in TFLite axis order.
   */
  static PortValue[] result(PortValue x, Tensor y, int[] axes, boolean keep) {
    if (keep) {
      return new PortValue[] {new PortValue(y, x.layout())};
    }
    Tensor tf = x.isNchw() ? PortValue.toNhwc(y) : y;
    int[] full = Axes.shape(tf);
    int[] out = new int[full.length - axes.length];
    for (int i = 0, j = 0, k = 0; i < full.length; i++) {
      if (k < axes.length && axes[k] == i) {
        k++;
      } else {
        out[j++] = full[i];
      }
    }
    return new PortValue[] {Axes.fromTf(tf.reshape(Axes.longs(out)))};
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    String name = p.opName();
    boolean keep = keepDims(p.op().options());
    int[] axes = axes(p, p.ints(1, "axis"));
    int rank = p.inShape(0).length;
    DType dt = p.input(0).type().dtype();
    if (axes.length == 0) {
      p.line(p.out(0) + " = " + p.value(0) + "  # no axes: TF returns the input");
      return;
    }
    long[] dims = new long[axes.length];
    for (int k = 0; k < axes.length; k++) {
      dims[k] = rank == 4 ? Axes.NHWC_TO_NCHW[axes[k]] : axes[k];
    }
    String fn = switch (name) {
      case "MEAN" -> "torch.mean";
      case "SUM" -> "torch.sum";
      case "REDUCE_MAX" -> "torch.amax";
      default -> "torch.amin";
    };
    String y = fn + "(" + p.value(0) + ", " + Py.ints(dims) + ", True)";
    if (name.equals("SUM") && dt == DType.INT32) {
      y = y + ".to(torch.int32)";
    }
    emitResult(p, y, keep, rank);
  }

  /**
   * Assigns the op's output from {@code y}, reduced with dims kept over an input of rank {@code rank}: as is with
   * keep_dims, else with the reduced axes dropped in TFLite axis order.
   */
  static void emitResult(PyOp p, String y, boolean keep, int rank) {
    if (keep) {
      p.line(p.out(0) + " = " + y);
      return;
    }
    int[] out = p.outShape(0);
    String tf = rank == 4 ? "(" + y + ").permute(0, 2, 3, 1)" : y;
    Axes.emitFromTf(p, 0, tf + ".reshape(" + Py.ints(out) + ")", out.length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    switch (s.opName()) {
      case "MEAN" -> onnxReduce(s, "ReduceMean", false);
      case "SUM" -> onnxReduce(s, "ReduceSum", true);
      case "REDUCE_MAX" -> onnxReduce(s, "ReduceMax", false);
      case "REDUCE_MIN" -> onnxReduce(s, "ReduceMin", false);
      default -> throw s.refuse("not a reduction");
    }
  }

  /**
   * An ONNX reduction over the TFLite axes of input 1: on the NCHW value when the kept axes come out in TFLite's
   * order, else in TFLite axes. {@code axesInput}: opset 17 takes ReduceSum's axes as an input, the others' as an
   * attribute.
   */
  static void onnxReduce(OnnxOp s, String type, boolean axesInput) {
    boolean keep = keepDims(s.options());
    int r = s.inShape(0).length;
    boolean[] reduced = new boolean[r];
    for (int ax : Axes.reductionAxes(s.constInts(1), r, s::refuse)) {
      reduced[ax] = true;
    }
    boolean nativeOk = r != 4 || keep || onnxNativeOrderMatches(reduced);
    List<Long> axes = new ArrayList<>();
    for (int a = 0; a < r; a++) {
      if (reduced[a]) {
        axes.add((long) (nativeOk ? OnnxOp.axis(a, r) : a));
      }
    }
    long[] ax = axes.stream().sorted().mapToLong(Long::longValue).toArray();
    String x = nativeOk ? s.x(0) : s.tf(0);
    boolean outRank4 = s.outShape(0).length == 4;
    String y = nativeOk || !outRank4 ? s.out(0) : s.outTf(0);
    if (nativeOk && !keep && outRank4) {
      throw s.refuse("reduction keeps rank 4 without keep_dims");
    }
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs().putInt("keepdims", keep ? 1 : 0);
    if (axesInput) {
      s.node(type, List.of(x, s.i64(ax)), List.of(y), a);
    } else {
      s.node(type, List.of(x), List.of(y), a.putInts("axes", ax));
    }
  }

  private static boolean onnxNativeOrderMatches(boolean[] reduced) {
    List<Integer> tf = new ArrayList<>();
    List<Integer> nchw = new ArrayList<>();
    for (int a = 0; a < 4; a++) {
      if (!reduced[a]) {
        tf.add(a);
      }
    }
    for (int a : Layout.nhwcToNchw()) {
      if (!reduced[a]) {
        nchw.add(a);
      }
    }
    return tf.equals(nchw);
  }
}
