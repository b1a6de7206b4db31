package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.Set;

/** EXPAND_DIMS: a size-1 axis inserted at the constant axis, in [-rank-1, rank] (negative counts from the end). */
public final class ExpandDims implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("EXPAND_DIMS");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int rank = ctx.input(0).shape().length;
    int[] a = Axes.constInts(ctx, 1, "axis");
    if (a.length != 1) {
      throw ctx.unsupported("axis must hold one value, got " + a.length);
    }
    int axis = Axes.normalize(ctx, a[0], rank + 1, "axis");
    return inputs -> new PortValue[] {Axes.fromTf(inputs[0].tfTensor().unsqueeze(axis))};
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int[] out = p.outShape(0);
    if (HostTensorShapes.numel(out) != HostTensorShapes.numel(p.inShape(0))) {
      throw p.unsupported("output shape " + java.util.Arrays.toString(out) + " does not hold the input's elements");
    }
    Axes.emitFromTf(p, 0, p.tf(0) + ".reshape(" + Py.ints(out) + ")", out.length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** A Reshape in TFLite axes to the static output shape. */
  @Override
  public void exportOnnx(OnnxOp s) {
    Reshape.onnxReshape(s);
  }
}
