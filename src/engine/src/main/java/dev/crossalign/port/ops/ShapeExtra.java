package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * Small shape and generator ops, all in TFLite axes unless noted:
 *
 * <ul>
 *   <li>ZEROS_LIKE: zeros of the input's type (layout kept).
 *   <li>FILL: constant dims, the (run-time or constant) scalar value broadcast to them.
 *   <li>SHAPE: the input's TFLite static shape (never the NCHW one) as the output's int32 / int64.
 *   <li>RANGE: constant start / limit / delta, values accumulated as TFLite does (value += delta in the element
 *       type, so float rounding matches).
 *   <li>BROADCAST_TO: constant shape, numpy rules.
 *   <li>REVERSE_V2: constant axes (layout kept, axes mapped).
 * </ul>
 */
public final class ShapeExtra implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("ZEROS_LIKE", "FILL", "SHAPE", "RANGE", "BROADCAST_TO", "REVERSE_V2");
  }

  /** Refuses input {@code i} when quantized or not of the types {@code ok}. */
  static void plain(OpView ctx, int i, TensorType... ok) {
    if (Axes.quantized(ctx, i)) {
      throw ctx.unsupported("quantized input " + i);
    }
    TensorType t = ctx.input(i).type();
    if (!Arrays.asList(ok).contains(t)) {
      throw ctx.unsupported("input " + i + " type " + t);
    }
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    String name = ctx.op().opName();
    if (ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized output");
    }
    switch (name) {
      case "ZEROS_LIKE" -> {
        plain(ctx, 0, TensorType.FLOAT32, TensorType.INT32, TensorType.INT64);
        return in -> new PortValue[] {new PortValue(torch.zeros_like(in[0].tensor()), in[0].layout())};
      }
      case "FILL" -> {
        plain(ctx, 1, TensorType.FLOAT32, TensorType.INT32, TensorType.BOOL);
        int[] dims = Axes.constInts(ctx, 0, "dims");
        if (numelOrNegative(dims) < 0) {
          throw ctx.unsupported("negative dims " + Arrays.toString(dims));
        }
        long[] shape = Axes.longs(dims);
        return in -> new PortValue[] {
          Axes.fromTf(in[1].tfTensor().reshape().expand(shape).contiguous())
        };
      }
      case "SHAPE" -> {
        Tensor prepared = ctx.prepared(TorchTensors.toTorch(shapeValue(ctx)));
        return in -> new PortValue[] {PortValue.tf(prepared)};
      }
      case "RANGE" -> {
        return range(ctx);
      }
      case "BROADCAST_TO" -> {
        plain(ctx, 0, TensorType.FLOAT32, TensorType.INT32, TensorType.BOOL);
        long[] shape = Axes.longs(Axes.constInts(ctx, 1, "shape"));
        return in -> new PortValue[] {Axes.fromTf(in[0].tfTensor().expand(shape).contiguous())};
      }
      case "REVERSE_V2" -> {
        plain(ctx, 0, TensorType.FLOAT32, TensorType.INT32, TensorType.BOOL);
        int[] axes = reverseAxes(ctx, Axes.constInts(ctx, 1, "axis"));
        return in -> {
          PortValue x = in[0];
          if (axes.length == 0) {
            return new PortValue[] {x};
          }
          long[] dims = new long[axes.length];
          for (int k = 0; k < axes.length; k++) {
            dims[k] = Axes.dim(x, axes[k]);
          }
          return new PortValue[] {new PortValue(x.tensor().flip(dims), x.layout())};
        };
      }
      default -> throw ctx.unsupported("not a shape op");
    }
  }

  /** SHAPE's value: the input's TFLite static shape as the output's int32 / int64. */
  private static HostTensor shapeValue(OpView v) {
    TensorType out = v.output(0).type();
    if (out != TensorType.INT32 && out != TensorType.INT64) {
      throw v.unsupported("output type " + out);
    }
    int[] s = v.input(0).shape();
    return out == TensorType.INT32 ? HostTensor.ofInts(new int[] {s.length}, Layout.ANY, s)
        : HostTensor.ofLongs(new int[] {s.length}, Layout.ANY, Axes.longs(s));
  }

  private static int[] reverseAxes(OpView v, int[] axes) {
    int rank = v.input(0).shape().length;
    int[] out = new int[axes.length];
    for (int k = 0; k < axes.length; k++) {
      out[k] = Axes.normalize(v, axes[k], rank, "axis");
    }
    return out;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    String name = p.opName();
    if (p.output(0).isQuantized()) {
      throw p.unsupported("quantized output");
    }
    int[] out = p.outShape(0);
    switch (name) {
      case "ZEROS_LIKE" -> {
        plain(p, 0, TensorType.FLOAT32, TensorType.INT32, TensorType.INT64);
        p.line(p.out(0) + " = torch.zeros_like(" + p.value(0) + ")");
      }
      case "FILL" -> {
        plain(p, 1, TensorType.FLOAT32, TensorType.INT32, TensorType.BOOL);
        int[] dims = ints(p, 0, "dims");
        if (numelOrNegative(dims) < 0) {
          throw p.unsupported("negative dims " + Arrays.toString(dims));
        }
        String scalar = p.tf(1) + ".reshape(-1)[0]";
        Axes.emitFromTf(p, 0, dims.length == 0 ? scalar + ".clone()"
            : scalar + ".expand(" + Py.ints(dims) + ").contiguous()", dims.length);
      }
      case "SHAPE" -> p.line(p.out(0) + " = " + p.table("shape", shapeValue(p)) + "  # TFLite's static shape");
      case "RANGE" -> {
        HostTensor[] c = {p.constant(0), p.constant(1), p.constant(2)};
        p.line(p.out(0) + " = " + p.table("range", rangeValues(p, c))
            + "  # start, start + delta, ... accumulated in the element type");
      }
      case "BROADCAST_TO" -> {
        plain(p, 0, TensorType.FLOAT32, TensorType.INT32, TensorType.BOOL);
        int[] shape = ints(p, 1, "shape");
        Axes.emitFromTf(p, 0, p.tf(0) + ".expand(" + Py.ints(shape) + ").contiguous()", out.length);
      }
      case "REVERSE_V2" -> {
        plain(p, 0, TensorType.FLOAT32, TensorType.INT32, TensorType.BOOL);
        int[] axes = reverseAxes(p, ints(p, 1, "axis"));
        int rank = p.inShape(0).length;
        if (axes.length == 0) {
          p.line(p.out(0) + " = " + p.value(0));
          return;
        }
        int[] dims = new int[axes.length];
        for (int k = 0; k < axes.length; k++) {
          dims[k] = rank == 4 ? Axes.NHWC_TO_NCHW[axes[k]] : axes[k];
        }
        p.line(p.out(0) + " = torch.flip(" + p.value(0) + ", " + Py.ints(dims) + ")");
      }
      default -> throw p.unsupported("not a shape op");
    }
  }

  private static int[] ints(PyOp p, int i, String what) {
    return Arrays.stream(p.ints(i, what)).mapToInt(Math::toIntExact).toArray();
  }

  private static long numelOrNegative(int[] dims) {
    long n = 1;
    for (int d : dims) {
      if (d < 0) {
        return -1;
      }
      n *= d;
    }
    return n;
  }

  private LoweredOp range(LoweringContext ctx) {
    HostTensor[] c = new HostTensor[3];
    for (int i = 0; i < 3; i++) {
      c[i] = ctx.isConstant(i) ? TorchTensors.toHost(ctx.constant(i), Layout.ANY) : null;
    }
    Tensor prepared = ctx.prepared(TorchTensors.toTorch(rangeValues(ctx, c)));
    return in -> new PortValue[] {PortValue.tf(prepared)};
  }

  /**
   * RANGE's values from constant start / limit / delta ({@code c}, null where computed at run time), accumulated as
   * TFLite does (value += delta in the element type, so float rounding matches), for the lowering and the code
   * generation alike.
   */
  private static HostTensor rangeValues(OpView ctx, HostTensor[] c) {
    TensorType t = ctx.output(0).type();
    int n = ctx.output(0).shape().length == 1 ? ctx.output(0).shape()[0] : -1;
    if (n < 0) {
      throw ctx.unsupported("output is not rank 1");
    }
    for (int i = 0; i < 3; i++) {
      if (c[i] == null || ctx.input(i).type() != t) {
        throw ctx.unsupported("start / limit / delta must be constants of the output type");
      }
    }
    if (t == TensorType.INT32) {
      int start = (int) c[0].getDouble(0);
      int limit = (int) c[1].getDouble(0);
      int delta = (int) c[2].getDouble(0);
      if (delta == 0) {
        throw ctx.unsupported("delta 0");
      }
      long size = (Math.abs((long) limit - start) + Math.abs((long) delta) - 1) / Math.abs((long) delta);
      if (size != n) {
        throw ctx.unsupported("range size " + size + " differs from the output shape " + n);
      }
      int[] v = new int[n];
      int value = start;
      for (int i = 0; i < n; i++) {
        v[i] = value;
        value += delta;
      }
      return HostTensor.ofInts(new int[] {n}, Layout.ANY, v);
    } else if (t == TensorType.FLOAT32) {
      float start = (float) c[0].getDouble(0);
      float limit = (float) c[1].getDouble(0);
      float delta = (float) c[2].getDouble(0);
      if (delta == 0f) {
        throw ctx.unsupported("delta 0");
      }
      double size = Math.ceil(Math.abs((limit - start) / delta));
      if (size != n) {
        throw ctx.unsupported("range size " + size + " differs from the output shape " + n);
      }
      float[] v = new float[n];
      float value = start;
      for (int i = 0; i < n; i++) {
        v[i] = value;
        value += delta;
      }
      return HostTensor.ofFloats(new int[] {n}, Layout.ANY, v);
    }
    throw ctx.unsupported("output type " + t);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /**
   * Static-shape results become constants (ZEROS_LIKE: x * 0 would keep NaN and -0; SHAPE: TFLite's shape, NHWC for
   * rank 4; RANGE accumulated as TFLite does); FILL and BROADCAST_TO an Expand; REVERSE_V2 a Slice with step -1 per
   * axis.
   */
  @Override
  public void exportOnnx(OnnxOp s) {
    switch (s.opName()) {
      case "ZEROS_LIKE" -> onnxZerosLike(s);
      case "FILL" -> s.node("Expand", List.of(s.tf(1), s.i64(s.constInts(0))), List.of(s.outTf(0)));
      case "SHAPE" -> onnxShape(s);
      case "RANGE" -> onnxRange(s);
      case "BROADCAST_TO" -> s.node("Expand", List.of(s.tf(0), s.i64(s.constInts(1))), List.of(s.outTf(0)));
      case "REVERSE_V2" -> onnxReverse(s);
      default -> throw s.refuse("not a shape op");
    }
  }

  private static void onnxZerosLike(OnnxOp s) {
    int[] shape = s.outShape(0);
    int n = (int) HostTensor.numel(shape);
    TensorType t = s.outInfo(0).type();
    switch (t) {
      case FLOAT32 -> s.constantOut(HostTensor.ofFloats(shape, Layout.ANY, new float[n]));
      case INT32 -> s.constantOut(HostTensor.ofInts(shape, Layout.ANY, new int[n]));
      case INT64 -> s.constantOut(HostTensor.ofLongs(shape, Layout.ANY, new long[n]));
      default -> throw s.refuse("type " + t);
    }
  }

  private static void onnxShape(OnnxOp s) {
    int[] shape = s.inShape(0);
    TensorType t = s.outInfo(0).type();
    int[] dim = {shape.length};
    switch (t) {
      case INT32 -> s.constantOut(HostTensor.ofInts(dim, Layout.ANY, shape.clone()));
      case INT64 -> s.constantOut(HostTensor.ofLongs(dim, Layout.ANY,
          java.util.Arrays.stream(shape).asLongStream().toArray()));
      default -> throw s.refuse("output type " + t);
    }
  }

  /** RANGE over constants: the values accumulated as TFLite does (value += delta in the element type). */
  private static void onnxRange(OnnxOp s) {
    int[] out = s.outShape(0);
    TensorType t = s.outInfo(0).type();
    if (out.length != 1) {
      throw s.refuse("output is not rank 1");
    }
    int n = out[0];
    if (t == TensorType.INT32) {
      int value = (int) s.constInts(0)[0];
      int delta = (int) s.constInts(2)[0];
      int[] v = new int[n];
      for (int i = 0; i < n; i++) {
        v[i] = value;
        value += delta;
      }
      s.constantOut(HostTensor.ofInts(out, Layout.ANY, v));
    } else if (t == TensorType.FLOAT32) {
      if (!s.isConst(0) || !s.isConst(2)) {
        throw s.refuse("start and delta must be constant");
      }
      float value = (float) s.constFloat(0).getDouble(0);
      float delta = (float) s.constFloat(2).getDouble(0);
      float[] v = new float[n];
      for (int i = 0; i < n; i++) {
        v[i] = value;
        value += delta;
      }
      s.constantOut(HostTensor.ofFloats(out, Layout.ANY, v));
    } else {
      throw s.refuse("output type " + t);
    }
  }

  private static void onnxReverse(OnnxOp s) {
    int r = s.inShape(0).length;
    long[] axes = s.constInts(1);
    if (axes.length == 0) {
      s.node("Identity", List.of(s.tf(0)), List.of(s.outTf(0)));
      return;
    }
    long[] starts = new long[axes.length];
    long[] ends = new long[axes.length];
    long[] steps = new long[axes.length];
    long[] ax = new long[axes.length];
    for (int k = 0; k < axes.length; k++) {
      ax[k] = axes[k] < 0 ? axes[k] + r : axes[k];
      if (ax[k] < 0 || ax[k] >= r) {
        throw s.refuse("axis " + axes[k] + " out of range for rank " + r);
      }
      starts[k] = -1;
      ends[k] = Long.MIN_VALUE;
      steps[k] = -1;
    }
    s.node("Slice", List.of(s.tf(0), s.i64(starts), s.i64(ends), s.i64(ax), s.i64(steps)), List.of(s.outTf(0)));
  }
}
