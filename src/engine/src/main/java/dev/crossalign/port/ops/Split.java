package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import java.util.ArrayList;
import java.util.Arrays;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

/**
 * SPLIT (axis is input 0, the value input 1, num_splits equal parts) and SPLIT_V (value input 0, size_splits input
 * 1 with at most one -1, axis input 2). One output per part; an NCHW value is split on the mapped dim and its parts
 * stay NCHW.
 */
public final class Split implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SPLIT", "SPLIT_V");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean v = ctx.op().opName().equals("SPLIT_V");
    int valueIn = v ? 0 : 1;
    int[] shape = ctx.input(valueIn).shape();
    int[] a = Axes.constInts(ctx, v ? 2 : 0, "axis");
    if (a.length != 1) {
      throw ctx.unsupported("axis must hold one value, got " + a.length);
    }
    int axis = Axes.normalize(ctx, a[0], shape.length, "axis");
    int size = shape[axis];
    int outs = ctx.op().outputs().length;
    int[] sizes;
    if (v) {
      sizes = Axes.constInts(ctx, 1, "size_splits");
      int stretch = -1;
      int known = 0;
      for (int i = 0; i < sizes.length; i++) {
        if (sizes[i] == -1 && stretch < 0) {
          stretch = i;
        } else if (sizes[i] < 0) {
          throw ctx.unsupported("size_splits " + Arrays.toString(sizes) + " has a bad entry");
        } else {
          known += sizes[i];
        }
      }
      if (stretch >= 0) {
        sizes[stretch] = size - known;
      }
      if (sizes[Math.max(stretch, 0)] < 0 || Arrays.stream(sizes).sum() != size) {
        throw ctx.unsupported("size_splits " + Arrays.toString(sizes) + " do not add up to " + size);
      }
    } else {
      int n = ctx.op().options() instanceof OpOptions.Split s ? s.numSplits() : outs;
      if (n <= 0 || size % n != 0) {
        throw ctx.unsupported("num_splits " + n + " does not divide axis size " + size);
      }
      sizes = new int[n];
      Arrays.fill(sizes, size / n);
    }
    if (sizes.length != outs) {
      throw ctx.unsupported(sizes.length + " parts but " + outs + " outputs");
    }
    return inputs -> {
      PortValue x = inputs[valueIn];
      long dim = Axes.dim(x, axis);
      Tensor t = x.tensor();
      PortValue[] out = new PortValue[sizes.length];
      long start = 0;
      for (int i = 0; i < sizes.length; i++) {
        out[i] = new PortValue(t.narrow(dim, start, sizes[i]), x.layout());
        start += sizes[i];
      }
      return out;
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  /** Each output's extent along the axis is its static TFLite shape (what TFLite's Prepare computed from sizes). */
  @Override
  public void emitPython(PyOp p) {
    boolean v = p.opName().equals("SPLIT_V");
    int valueIn = v ? 0 : 1;
    int[] shape = p.inShape(valueIn);
    long[] a = p.ints(v ? 2 : 0, "axis");
    if (a.length != 1 || a[0] < -shape.length || a[0] >= shape.length) {
      throw p.unsupported("axis " + Arrays.toString(a) + " for rank " + shape.length);
    }
    int axis = (int) (a[0] < 0 ? a[0] + shape.length : a[0]);
    int dim = shape.length == 4 ? Axes.NHWC_TO_NCHW[axis] : axis;
    String x = v ? p.value(0) : p.value(1);
    long start = 0;
    for (int k = 0; k < p.op().outputs().length; k++) {
      int len = p.outShape(k)[axis];
      p.line(p.out(k) + " = " + x + ".narrow(" + dim + ", " + start + ", " + len + ")");
      start += len;
    }
    if (start != shape[axis]) {
      throw p.unsupported("outputs cover " + start + " of the axis' " + shape[axis] + " elements");
    }
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** SPLIT (axis, x) and SPLIT_V (x, size_splits, axis) as ONNX Split on the native value, sizes from the outputs. */
  @Override
  public void exportOnnx(OnnxOp s) {
    boolean v = s.opName().equals("SPLIT_V");
    int xIn = v ? 0 : 1;
    int axisIn = v ? 2 : 0;
    long[] axisV = s.constInts(axisIn);
    int r = s.inShape(xIn).length;
    int tfAxis = (int) (axisV[0] < 0 ? axisV[0] + r : axisV[0]);
    int n = s.outputCount();
    long[] sizes = new long[n];
    for (int k = 0; k < n; k++) {
      sizes[k] = s.outShape(k)[tfAxis];
    }
    List<String> outs = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      outs.add(s.out(k));
    }
    s.node("Split", List.of(s.x(xIn), s.i64(sizes)), outs,
        OnnxGraphBuilder.attrs().putInt("axis", OnnxOp.axis(tfAxis, r)));
  }
}
