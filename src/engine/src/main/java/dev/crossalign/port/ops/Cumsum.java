package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * CUMSUM: constant axis, exclusive / reverse, in TFLite axes (an NCHW value summed along the mapped dim); float32
 * (torch accumulates in double on the CPU, TFLite in float: an ulp or so apart on long axes) or int32 (exact).
 * Exclusive shifts a 0 in at the start of the axis; reverse flips before and after. ONNX: a CumSum on the mapped
 * axis with the same two flags.
 */
public final class Cumsum implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("CUMSUM");
  }

  /** The op's checked settings, for the lowering and the code generation alike. */
  private record Spec(boolean exclusive, boolean reverse, int axis) {
    static Spec of(OpView v, int[] axes) {
      if (v.output(0).isQuantized()) {
        throw v.unsupported("quantized output");
      }
      ShapeExtra.plain(v, 0, TensorType.FLOAT32, TensorType.INT32);
      if (axes.length != 1) {
        throw v.unsupported("axis must be a scalar");
      }
      OpOptions.Cumsum o = v.op().options() instanceof OpOptions.Cumsum c ? c : new OpOptions.Cumsum(false, false);
      return new Spec(o.exclusive(), o.reverse(), Axes.normalize(v, axes[0], v.input(0).shape().length, "axis"));
    }
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    Spec spec = Spec.of(ctx, Axes.constInts(ctx, 1, "axis"));
    boolean exclusive = spec.exclusive();
    boolean reverse = spec.reverse();
    int axis = spec.axis();
    ScalarType st = ctx.input(0).type().dtype() == DType.INT32 ? ScalarType.Int : ScalarType.Float;
    return in -> {
      PortValue x = in[0];
      long d = Axes.dim(x, axis);
      Tensor t = x.tensor();
      if (reverse) {
        t = t.flip(d);
      }
      Tensor y = t.cumsum(d).to(st);
      if (exclusive) {
        long len = t.size(d);
        long[] pads = new long[(int) (2 * (t.dim() - d))];
        pads[pads.length - 2] = 1;
        y = torch.constant_pad_nd(y, pads, new Scalar(0.0)).narrow(d, 0, len);
      }
      if (reverse) {
        y = y.flip(d);
      }
      return new PortValue[] {new PortValue(y, x.layout())};
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    Spec spec = Spec.of(p, Arrays.stream(p.ints(1, "axis")).mapToInt(Math::toIntExact).toArray());
    boolean exclusive = spec.exclusive();
    boolean reverse = spec.reverse();
    int axis = spec.axis();
    int rank = p.inShape(0).length;
    int d = rank == 4 ? Axes.NHWC_TO_NCHW[axis] : axis;
    String x = p.value(0);
    String y = p.temp("cumsum");
    String flipped = reverse ? "torch.flip(" + x + ", [" + d + "])" : x;
    boolean int32 = p.input(0).type() == TensorType.INT32;
    p.line(y + " = torch.cumsum(" + flipped + ", " + d + ")" + (int32 ? ".int()" : ""));
    if (exclusive) {
      // exclusive: each position sums the elements before it (a 0 shifted in at the start of the axis)
      int len = p.inShape(0)[axis];
      int[] pads = new int[2 * (rank - d)];
      pads[pads.length - 2] = 1;
      p.line(y + " = F.pad(" + y + ", " + Py.ints(pads) + ").narrow(" + d + ", 0, " + len + ")");
    }
    p.line(p.out(0) + " = " + (reverse ? "torch.flip(" + y + ", [" + d + "])" : y));
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  @Override
  public void exportOnnx(OnnxOp s) {
    boolean exclusive = s.options() instanceof OpOptions.Cumsum c && c.exclusive();
    boolean reverse = s.options() instanceof OpOptions.Cumsum c && c.reverse();
    long[] axis = s.constInts(1);
    if (axis.length != 1) {
      throw s.refuse("axis must be a scalar");
    }
    int r = s.inShape(0).length;
    String ax = s.init(s.outInfo(0).name() + "/axis", HostTensor.ofLongs(new int[0], Layout.ANY,
        new long[] {OnnxOp.axis((int) axis[0], r)}));
    s.node("CumSum", List.of(s.x(0), ax), List.of(s.out(0)),
        OnnxGraphBuilder.attrs().putInt("exclusive", exclusive ? 1 : 0).putInt("reverse", reverse ? 1 : 0));
  }
}
