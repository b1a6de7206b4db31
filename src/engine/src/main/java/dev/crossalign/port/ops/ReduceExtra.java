package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import java.util.List;

/**
 * REDUCE_PROD (float32, int32), REDUCE_ANY and REDUCE_ALL (bool) over a constant axis list, keep_dims as in {@link
 * Reduce}. A product over several axes is taken one axis at a time, so its rounding order may differ from TFLite's
 * single pass by an ulp or so per factor.
 */
public final class ReduceExtra implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("REDUCE_PROD", "REDUCE_ANY", "REDUCE_ALL");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    String name = ctx.op().opName();
    boolean keep = Reduce.keepDims(ctx.op().options());
    int[] axes = axes(ctx, Axes.longs(Axes.constInts(ctx, 1, "axis")));
    return inputs -> {
      PortValue x = inputs[0];
      if (axes.length == 0) {
        return new PortValue[] {x};
      }
      Tensor y = x.tensor();
      for (int k = axes.length - 1; k >= 0; k--) {
        long d = Axes.dim(x, axes[k]);
        y = switch (name) {
          case "REDUCE_PROD" -> y.prod(d, true, new ScalarTypeOptional());
          case "REDUCE_ANY" -> y.any(d, true);
          default -> y.all(d, true);
        };
      }
      if (y.scalar_type().intern() != x.tensor().scalar_type().intern()) {
        y = y.to(x.tensor().scalar_type().intern()); // torch's int prod is int64; TFLite keeps the type
      }
      return Reduce.result(x, y, axes, keep);
    };
  }

  /** The sorted distinct axes, with the input type checked, for the lowering and the code generation alike. */
  private static int[] axes(OpView v, long[] given) {
    if (Axes.quantized(v, 0) || v.output(0).isQuantized()) {
      throw v.unsupported("quantized input");
    }
    TensorType t = v.input(0).type();
    boolean prod = v.op().opName().equals("REDUCE_PROD");
    if (prod ? t != TensorType.FLOAT32 && t != TensorType.INT32 : t != TensorType.BOOL) {
      throw v.unsupported("input type " + t);
    }
    return Axes.reductionAxes(given, v.input(0).shape().length, v::unsupported);
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    String name = p.opName();
    boolean keep = Reduce.keepDims(p.op().options());
    int[] axes = axes(p, p.ints(1, "axis"));
    if (axes.length == 0) {
      p.line(p.out(0) + " = " + p.value(0) + "  # no axes: TF returns the input");
      return;
    }
    int rank = p.inShape(0).length;
    String fn = switch (name) {
      case "REDUCE_PROD" -> "torch.prod";
      case "REDUCE_ANY" -> "torch.any";
      default -> "torch.all";
    };
    // one axis at a time, the last first (torch reduces one dim per call); dims kept until the end
    String y = p.value(0);
    for (int k = axes.length - 1; k >= 0; k--) {
      y = fn + "(" + y + ", " + (rank == 4 ? Axes.NHWC_TO_NCHW[axes[k]] : axes[k]) + ", True)";
    }
    if (p.input(0).type() == TensorType.INT32) {
      y = y + ".int()"; // torch's int product is int64; TFLite keeps int32
    }
    Reduce.emitResult(p, y, keep, rank);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    switch (s.opName()) {
      case "REDUCE_PROD" -> Reduce.onnxReduce(s, "ReduceProd", false);
      case "REDUCE_ANY" -> onnxReduceBool(s, "ReduceMax");
      case "REDUCE_ALL" -> onnxReduceBool(s, "ReduceMin");
      default -> throw s.refuse("not a reduction");
    }
  }

  /** REDUCE_ANY / REDUCE_ALL: bool -> int32, ReduceMax / ReduceMin over the TFLite axes, -> bool. */
  private static void onnxReduceBool(OnnxOp s, String type) {
    boolean keep = Reduce.keepDims(s.options());
    int r = s.inShape(0).length;
    long[] axes = Axes.longs(Axes.reductionAxes(s.constInts(1), r, s::refuse));
    String asInt = s.tmp("as_int");
    s.node("Cast", List.of(s.tf(0)), List.of(asInt),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(DType.INT32)));
    String red = s.tmp("reduced");
    if (axes.length == 0) {
      s.node("Identity", List.of(asInt), List.of(red));
    } else {
      // opset 17: ReduceMax / ReduceMin take the axes as an attribute
      s.node(type, List.of(asInt), List.of(red), OnnxGraphBuilder.attrs().putInt("keepdims", keep ? 1 : 0)
          .putInts("axes", axes));
    }
    s.node("Cast", List.of(red), List.of(s.outTf(0)),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(DType.BOOL)));
  }
}
