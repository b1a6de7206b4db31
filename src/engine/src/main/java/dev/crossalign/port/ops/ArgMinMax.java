package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tensor.DType;
import java.util.Set;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * ARG_MAX / ARG_MIN over one constant axis (negative allowed), the axis dropped, output int32 or int64 as the output
 * tensor says. Ties give the first index in both TFLite and torch. Done in TFLite axis order so the remaining axes
 * keep TF's order.
 */
public final class ArgMinMax implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("ARG_MAX", "ARG_MIN");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean max = ctx.op().opName().equals("ARG_MAX");
    int axis = axis(ctx, Axes.constInts(ctx, 1, "axis"));
    DType outType = ctx.output(0).type().dtype();
    ScalarType st = outType == DType.INT32 ? ScalarType.Int : ScalarType.Long;
    return inputs -> {
      Tensor t = inputs[0].tfTensor();
      Tensor r = max ? t.argmax(new LongOptional(axis), false) : t.argmin(new LongOptional(axis), false);
      return new PortValue[] {Axes.fromTf(r.to(st))};
    };
  }

  /** The one axis (normalized), with the output type checked, for the lowering and the code generation. */
  private static int axis(OpView v, int[] a) {
    if (a.length != 1) {
      throw v.unsupported("axis must hold one value, got " + a.length);
    }
    return Axes.indexAxis(v, a[0], v.output(0), "output type");
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    long[] a = p.ints(1, "axis");
    int axis = axis(p, java.util.Arrays.stream(a).mapToInt(Math::toIntExact).toArray());
    String to = p.output(0).type().dtype() == DType.INT32 ? ".int()" : ".long()";
    String fn = p.opName().equals("ARG_MAX") ? "torch.argmax" : "torch.argmin";
    // in TFLite axes, the axis dropped; ties give the first index in both
    Axes.emitFromTf(p, 0, fn + "(" + p.tf(0) + ", " + axis + ")" + to, p.outShape(0).length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX ArgMax / ArgMin in TFLite axes (int64), cast to the output type. */
  @Override
  public void exportOnnx(OnnxOp s) {
    String type = s.opName().equals("ARG_MAX") ? "ArgMax" : "ArgMin";
    long[] axisV = s.constInts(1);
    int r = s.inShape(0).length;
    int axis = (int) (axisV[0] < 0 ? axisV[0] + r : axisV[0]);
    String idx = s.tmp("i64");
    s.node(type, List.of(s.tf(0)), List.of(idx), OnnxGraphBuilder.attrs().putInt("axis", axis).putInt("keepdims", 0));
    s.node("Cast", List.of(idx), List.of(s.outTf(0)),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(s.outInfo(0).type().dtype())));
  }
}
