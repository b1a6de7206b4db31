package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tensor.DType;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import java.util.Arrays;
import java.util.List;

/**
 * ONE_HOT with a constant depth: out = (indices == j) ? on_value : off_value along the new axis (options axis, -1 =
 * last). Indices outside [0, depth), negatives included, give an all-off row, as in TFLite (ONNX's OneHot would wrap
 * negatives instead). on / off may be constant or run-time scalars; float32, int32 or bool output. Exact.
 */
public final class OneHot implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("ONE_HOT");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    check(ctx);
    int depth = depth(ctx, Axes.constInts(ctx, 1, "depth"));
    int rank = ctx.input(0).shape().length;
    int axis = axis(ctx);
    long[] rangeShape = new long[rank + 1];
    java.util.Arrays.fill(rangeShape, 1);
    rangeShape[axis] = depth;
    long[] range = new long[depth];
    for (int j = 0; j < depth; j++) {
      range[j] = j;
    }
    Tensor r = ctx.prepared(AbstractTensor.create(range).reshape(rangeShape));
    return inputs -> {
      Tensor ind = inputs[0].tfTensor().to(ScalarType.Long).unsqueeze(axis);
      Tensor on = inputs[2].tfTensor().reshape();
      Tensor off = inputs[3].tfTensor().reshape();
      Tensor y = on.where(ind.eq(r), off);
      return new PortValue[] {Axes.fromTf(y)};
    };
  }

  /** Index and output types, for the lowering and the code generation alike. */
  private static void check(OpView v) {
    DType it = v.input(0).type().dtype();
    if (it != DType.INT32 && it != DType.INT64) {
      throw v.unsupported("indices of type " + v.input(0).type());
    }
    TensorType out = v.output(0).type();
    if (v.output(0).isQuantized()
        || (out != TensorType.FLOAT32 && out != TensorType.INT32 && out != TensorType.BOOL)) {
      throw v.unsupported("output type " + out + (v.output(0).isQuantized() ? " (quantized)" : ""));
    }
  }

  private static int depth(OpView v, int[] d) {
    if (d.length != 1 || d[0] < 0) {
      throw v.unsupported("depth must be one non-negative value");
    }
    return d[0];
  }

  /** The new axis in the output (options axis, -1 = last). */
  private static int axis(OpView v) {
    int rank = v.input(0).shape().length;
    int axisOpt = v.op().options() instanceof OpOptions.OneHot o ? o.axis() : -1;
    return axisOpt == -1 ? rank : Axes.normalize(v, axisOpt, rank + 1, "axis");
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    check(p);
    int depth = depth(p, java.util.Arrays.stream(p.ints(1, "depth")).mapToInt(Math::toIntExact).toArray());
    int rank = p.inShape(0).length;
    int axis = axis(p);
    int[] rangeShape = new int[rank + 1];
    java.util.Arrays.fill(rangeShape, 1);
    rangeShape[axis] = depth;
    long[] range = new long[depth];
    for (int j = 0; j < depth; j++) {
      range[j] = j;
    }
    String r = p.table("depth_range", dev.crossalign.tensor.HostTensor.ofLongs(rangeShape,
        dev.crossalign.tensor.Layout.ANY, range));
    // indices outside [0, depth), negatives included, match no j: an all-off row, as in TFLite
    Axes.emitFromTf(p, 0, "torch.where(" + p.tf(0) + ".long().unsqueeze(" + axis + ") == " + r + ", "
        + p.tf(2) + ".reshape(-1)[0], " + p.tf(3) + ".reshape(-1)[0])", p.outShape(0).length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /**
   * ONE_HOT with a constant depth, in TFLite axes: Where(Equal(Unsqueeze(indices), [0..depth) along the new axis),
   * on, off). Not ONNX OneHot, which wraps negative indices where TFLite gives an all-off row.
   */
  @Override
  public void exportOnnx(OnnxOp s) {
    long[] depth = s.constInts(1);
    if (depth.length != 1 || depth[0] < 0) {
      throw s.refuse("depth must be one non-negative value");
    }
    int rank = s.inShape(0).length;
    int axisOpt = s.options() instanceof OpOptions.OneHot o ? o.axis() : -1;
    int axis = axisOpt == -1 ? rank : axisOpt < 0 ? axisOpt + rank + 1 : axisOpt;
    if (axis < 0 || axis > rank) {
      throw s.refuse("axis " + axisOpt + " out of range");
    }
    int[] rs = new int[rank + 1];
    Arrays.fill(rs, 1);
    rs[axis] = (int) depth[0];
    long[] range = new long[(int) depth[0]];
    for (int j = 0; j < range.length; j++) {
      range[j] = j;
    }
    String idx = s.tmp("indices_i64");
    s.node("Cast", List.of(s.tf(0)), List.of(idx),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(DType.INT64)));
    String un = s.tmp("indices_u");
    s.node("Unsqueeze", List.of(idx, s.i64(axis)), List.of(un));
    String hit = s.tmp("hit");
    String rc = s.init(s.outInfo(0).name() + "/range", HostTensor.ofLongs(rs, Layout.ANY, range));
    s.node("Equal", List.of(un, rc), List.of(hit));
    s.node("Where", List.of(hit, s.tf(2), s.tf(3)), List.of(s.outTf(0)));
  }
}
