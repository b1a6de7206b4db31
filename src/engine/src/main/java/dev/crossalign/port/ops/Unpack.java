package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.PyOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

/** UNPACK: num outputs, each one index of the (possibly negative) axis, that axis dropped; TFLite axis order. */
public final class Unpack implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("UNPACK");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Unpack o = (OpOptions.Unpack) ctx.op().options();
    int[] shape = ctx.input(0).shape();
    int axis = Axes.normalize(ctx, o.axis(), shape.length, "axis");
    int num = ctx.op().outputs().length;
    if (shape[axis] != num || (o.num() != 0 && o.num() != num)) {
      throw ctx.unsupported("num " + o.num() + " / " + num + " outputs for an axis of size " + shape[axis]);
    }
    return inputs -> {
      Tensor t = inputs[0].tfTensor();
      PortValue[] out = new PortValue[num];
      for (int i = 0; i < num; i++) {
        out[i] = Axes.fromTf(t.select(axis, i));
      }
      return out;
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.Unpack o = (OpOptions.Unpack) p.op().options();
    int[] shape = p.inShape(0);
    if (o.axis() < -shape.length || o.axis() >= shape.length) {
      throw p.unsupported("axis " + o.axis() + " for rank " + shape.length);
    }
    int axis = o.axis() < 0 ? o.axis() + shape.length : o.axis();
    int num = p.op().outputs().length;
    if (shape[axis] != num || (o.num() != 0 && o.num() != num)) {
      throw p.unsupported("num " + o.num() + " / " + num + " outputs for an axis of size " + shape[axis]);
    }
    String x = p.tf(0);
    for (int k = 0; k < num; k++) {
      Axes.emitFromTf(p, k, x + ".select(" + axis + ", " + k + ")", shape.length - 1);
    }
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** Split into ones along the axis, Squeeze each part, in TFLite axes. */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.Unpack o = s.options(OpOptions.Unpack.class);
    int r = s.inShape(0).length;
    int axis = o.axis() < 0 ? o.axis() + r : o.axis();
    int n = s.outputCount();
    List<String> parts = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      parts.add(s.tmp("part" + k));
    }
    long[] ones = new long[n];
    Arrays.fill(ones, 1);
    s.node("Split", List.of(s.tf(0), s.i64(ones)), parts, OnnxGraphBuilder.attrs().putInt("axis", axis));
    for (int k = 0; k < n; k++) {
      s.node("Squeeze", List.of(parts.get(k), s.i64(axis)), List.of(s.outTf(k)));
    }
  }
}
