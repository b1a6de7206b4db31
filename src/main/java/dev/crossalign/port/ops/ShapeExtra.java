package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

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
 *   <li>CUMSUM: constant axis, exclusive / reverse; float32 (torch accumulates in double on the CPU, TFLite in
 *       float: an ulp or so apart on long axes) or int32 (exact).
 * </ul>
 */
public final class ShapeExtra implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("ZEROS_LIKE", "FILL", "SHAPE", "RANGE", "BROADCAST_TO", "REVERSE_V2", "CUMSUM");
  }

  private static void plain(LoweringContext ctx, int i, TensorType... ok) {
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
        TensorType out = ctx.output(0).type();
        if (out != TensorType.INT32 && out != TensorType.INT64) {
          throw ctx.unsupported("output type " + out);
        }
        int[] s = ctx.input(0).shape();
        Tensor c = out == TensorType.INT32
            ? AbstractTensor.create(s)
            : AbstractTensor.create(Axes.longs(s));
        Tensor prepared = ctx.prepared(c);
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
        int rank = ctx.input(0).shape().length;
        int[] axes = Axes.constInts(ctx, 1, "axis");
        for (int k = 0; k < axes.length; k++) {
          axes[k] = Axes.normalize(ctx, axes[k], rank, "axis");
        }
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
      default -> {
        return cumsum(ctx);
      }
    }
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
    TensorType t = ctx.output(0).type();
    int n = ctx.output(0).shape().length == 1 ? ctx.output(0).shape()[0] : -1;
    if (n < 0) {
      throw ctx.unsupported("output is not rank 1");
    }
    for (int i = 0; i < 3; i++) {
      if (!ctx.isConstant(i) || ctx.input(i).type() != t) {
        throw ctx.unsupported("start / limit / delta must be constants of the output type");
      }
    }
    Tensor c;
    if (t == TensorType.INT32) {
      int start = Axes.ints(ctx.constant(0))[0];
      int limit = Axes.ints(ctx.constant(1))[0];
      int delta = Axes.ints(ctx.constant(2))[0];
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
      c = AbstractTensor.create(v);
    } else if (t == TensorType.FLOAT32) {
      float start = ctx.constant(0).item().toFloat();
      float limit = ctx.constant(1).item().toFloat();
      float delta = ctx.constant(2).item().toFloat();
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
      c = AbstractTensor.create(v);
    } else {
      throw ctx.unsupported("output type " + t);
    }
    Tensor prepared = ctx.prepared(c);
    return in -> new PortValue[] {PortValue.tf(prepared)};
  }

  private LoweredOp cumsum(LoweringContext ctx) {
    plain(ctx, 0, TensorType.FLOAT32, TensorType.INT32);
    boolean exclusive = ctx.op().options() instanceof OpOptions.Cumsum c && c.exclusive();
    boolean reverse = ctx.op().options() instanceof OpOptions.Cumsum c && c.reverse();
    int rank = ctx.input(0).shape().length;
    int[] ax = Axes.constInts(ctx, 1, "axis");
    if (ax.length != 1) {
      throw ctx.unsupported("axis must be a scalar");
    }
    int axis = Axes.normalize(ctx, ax[0], rank, "axis");
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
  public Set<String> onnxOps() {
    return opNames();
  }

  /**
   * Static-shape results become constants (ZEROS_LIKE: x * 0 would keep NaN and -0; SHAPE: TFLite's shape, NHWC for
   * rank 4; RANGE accumulated as TFLite does); FILL and BROADCAST_TO an Expand; REVERSE_V2 a Slice with step -1 per
   * axis; CUMSUM an ONNX CumSum on the mapped axis.
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
      case "CUMSUM" -> onnxCumsum(s);
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

  private static void onnxCumsum(OnnxOp s) {
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
