package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import java.util.ArrayList;
import java.util.List;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.Set;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;

/**
 * STRIDED_SLICE with constant begin/end/strides, following the TFLite kernel: ellipsis_mask and new_axis_mask are
 * first expanded into an effective input shape (new axes become size-1 dims, the ellipsis full ranges), then each
 * effective axis gets TFLite's start/stop (negative indices wrapped, clamped to [0, n] forward or [-1, n-1] backward,
 * begin_mask/end_mask taking the full range, offset adding begin to end, shrink_axis taking one element), and the
 * shrunk axes are dropped. Negative strides are a flip followed by a forward slice. An NCHW value that needs neither
 * new axes nor shrinking is sliced on the mapped dims and stays NCHW; otherwise the work is done in TFLite order.
 */
public final class StridedSlice implements OpLowering {
  /** One effective axis: where the slice starts in the (possibly flipped) axis, how many, with which step. */
  record AxisSlice(boolean flip, long start, long count, long step) {}

  /** The whole plan, computed once from the static input shape. */
  record Plan(int[] effectiveShape, List<AxisSlice> axes, boolean[] shrink, int[] outShape, boolean anyNewAxis) {}

  @Override
  public Set<String> opNames() {
    return Set.of("STRIDED_SLICE");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.StridedSlice o = (OpOptions.StridedSlice) ctx.op().options();
    int[] begin = Axes.constInts(ctx, 1, "begin");
    int[] end = Axes.constInts(ctx, 2, "end");
    int[] strides = Axes.constInts(ctx, 3, "strides");
    if (begin.length != end.length || begin.length != strides.length) {
      throw ctx.unsupported("begin, end and strides differ in length");
    }
    int[] in = ctx.input(0).shape();
    Plan p;
    try {
      p = plan(in, begin, end, strides, o);
    } catch (IllegalArgumentException e) {
      throw ctx.unsupported(e.getMessage());
    }
    boolean anyShrink = false;
    for (boolean s : p.shrink()) {
      anyShrink |= s;
    }
    boolean keepNchw = !p.anyNewAxis() && !anyShrink && in.length == 4;
    long[] effective = Axes.longs(p.effectiveShape());
    long[] out = Axes.longs(p.outShape());
    return inputs -> {
      PortValue x = inputs[0];
      if (keepNchw && x.isNchw()) {
        Tensor t = x.tensor();
        for (int i = 0; i < 4; i++) {
          t = apply(t, Axes.NHWC_TO_NCHW[i], p.axes().get(i));
        }
        return new PortValue[] {PortValue.nchw(t)};
      }
      Tensor t = x.tfTensor();
      if (p.anyNewAxis()) {
        t = t.reshape(effective);
      }
      for (int i = 0; i < effective.length; i++) {
        t = apply(t, i, p.axes().get(i));
      }
      return new PortValue[] {Axes.fromTf(t.reshape(out))};
    };
  }

  private static Tensor apply(Tensor t, long dim, AxisSlice s) {
    long n = t.size(dim);
    if (!s.flip() && s.start() == 0 && s.step() == 1 && s.count() == n) {
      return t;
    }
    Tensor src = s.flip() ? t.flip(dim) : t;
    if (s.count() == 0) {
      return src.narrow(dim, 0, 0);
    }
    long stop = s.start() + (s.count() - 1) * s.step() + 1;
    return src.slice(dim, new LongOptional(s.start()), new LongOptional(stop), s.step());
  }

  /** TFLite's BuildStridedSliceParams + StartForAxis/StopForAxis, on the static shape. */
  static Plan plan(int[] in, int[] begin, int[] end, int[] strides, OpOptions.StridedSlice o) {
    int count = begin.length;
    int ellipsisMask = o.ellipsisMask();
    int newAxisMask = o.newAxisMask();
    if (Integer.bitCount(ellipsisMask) > 1) {
      throw new IllegalArgumentException("more than one ellipsis bit");
    }
    int numAddAxis = 0;
    for (int i = 0; i < count; i++) {
      if ((ellipsisMask & (1 << i)) == 0 && (newAxisMask & (1 << i)) != 0) {
        numAddAxis++;
      }
    }
    int dims = in.length + numAddAxis;
    if (dims > 5) {
      throw new IllegalArgumentException("more than 5 dims including new axes");
    }
    int effEllipsis = 0;
    int effNewAxis = 0;
    int ellipsisStart = dims;
    int expanded = 0;
    for (int i = 0; i < dims; ) {
      if ((ellipsisMask & (1 << i)) != 0) {
        ellipsisStart = i;
        int ellipsisEnd = Math.max(i + 1, Math.min(i + 1 + numAddAxis + in.length - count, dims));
        expanded = ellipsisEnd - ellipsisStart - 1;
        for (; i < ellipsisEnd; i++) {
          effEllipsis |= 1 << i;
        }
        continue;
      }
      if (i - expanded >= 0 && (newAxisMask & (1 << (i - expanded))) != 0) {
        effNewAxis |= 1 << i;
      }
      i++;
    }
    int[] eff = new int[dims];
    int[] st = new int[dims];
    int[] sp = new int[dims];
    int[] sd = new int[dims];
    int bm = 0;
    int em = 0;
    int sm = 0;
    int addedEllipsis = 0;
    int addedAxes = 0;
    for (int i = 0; i < dims; i++) {
      if ((effEllipsis & (1 << i)) != 0) {
        addedEllipsis = Math.max(0, i - ellipsisStart);
        bm |= 1 << i;
        em |= 1 << i;
        sd[i] = 1;
        eff[i] = in[i - addedAxes];
      } else if ((effNewAxis & (1 << i)) != 0) {
        st[i] = 0;
        sp[i] = 1;
        sd[i] = 1;
        eff[i] = 1;
        addedAxes++;
      } else if (i >= count + expanded) {
        sd[i] = 1;
        bm |= 1 << i;
        em |= 1 << i;
        eff[i] = in[i - addedAxes];
      } else {
        int orig = i - addedEllipsis;
        st[i] = begin[orig];
        sp[i] = end[orig];
        sd[i] = strides[orig];
        if ((o.beginMask() & (1 << orig)) != 0) {
          bm |= 1 << i;
        }
        if ((o.endMask() & (1 << orig)) != 0) {
          em |= 1 << i;
        }
        if ((o.shrinkAxisMask() & (1 << orig)) != 0) {
          sm |= 1 << i;
        }
        eff[i] = in[i - addedAxes];
      }
    }
    List<AxisSlice> axes = new ArrayList<>();
    boolean[] shrink = new boolean[dims];
    List<Integer> outShape = new ArrayList<>();
    for (int i = 0; i < dims; i++) {
      int stride = sd[i];
      if (stride == 0) {
        throw new IllegalArgumentException("stride of axis " + i + " is 0");
      }
      int n = eff[i];
      int start = startForAxis(st[i], stride, (bm & (1 << i)) != 0, n);
      shrink[i] = (sm & (1 << i)) != 0;
      int stop = stopForAxis(sp[i], stride, (em & (1 << i)) != 0, shrink[i], o.offset(), start, n);
      int len = (int) Math.ceil((stop - start) / (double) stride);
      len = Math.max(len, 0);
      if (shrink[i] && len != 1) {
        throw new IllegalArgumentException("shrink axis " + i + " selects " + len + " elements");
      }
      if (!shrink[i]) {
        outShape.add(len);
      }
      if (stride > 0) {
        axes.add(new AxisSlice(false, len == 0 ? 0 : start, len, stride));
      } else {
        // Element start, start+stride, ... of the axis is element (n-1-start), +|stride|, ... of the flipped axis.
        axes.add(new AxisSlice(true, len == 0 ? 0 : n - 1 - start, len, -(long) stride));
      }
    }
    return new Plan(eff, axes, shrink, outShape.stream().mapToInt(Integer::intValue).toArray(), effNewAxis != 0);
  }

  static int startForAxis(int start, int stride, boolean masked, int n) {
    if (masked) {
      return stride > 0 ? 0 : n - 1;
    }
    long s = start < 0 ? (long) start + n : start;
    return stride > 0 ? (int) Math.max(0, Math.min(n, s)) : (int) Math.max(-1, Math.min(n - 1, s));
  }

  static int stopForAxis(
      int stop, int stride, boolean masked, boolean shrink, boolean offset, int start, int n) {
    if (shrink) {
      return start >= n ? start : start + 1;
    }
    if (masked) {
      return stride > 0 ? n : -1;
    }
    long e = offset ? (long) stop + start : stop;
    if (e < 0) {
      e += n;
    }
    return stride > 0 ? (int) Math.max(0, Math.min(n, e)) : (int) Math.max(-1, Math.min(n - 1, e));
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.StridedSlice o = (OpOptions.StridedSlice) p.op().options();
    int[] begin = ints(p, 1, "begin");
    int[] end = ints(p, 2, "end");
    int[] strides = ints(p, 3, "strides");
    if (begin.length != end.length || begin.length != strides.length) {
      throw p.unsupported("begin, end and strides differ in length");
    }
    int[] in = p.inShape(0);
    Plan plan;
    try {
      plan = plan(in, begin, end, strides, o);
    } catch (IllegalArgumentException e) {
      throw p.unsupported(e.getMessage());
    }
    boolean anyShrink = false;
    for (boolean s : plan.shrink()) {
      anyShrink |= s;
    }
    boolean keepNchw = !plan.anyNewAxis() && !anyShrink && in.length == 4;
    int n = plan.effectiveShape().length;
    String x;
    int[] dimOf = new int[n];
    for (int i = 0; i < n; i++) {
      dimOf[i] = keepNchw ? Axes.NHWC_TO_NCHW[i] : i;
    }
    if (keepNchw) {
      x = p.value(0);
    } else {
      x = p.tf(0);
      if (plan.anyNewAxis()) {
        x = x + ".reshape(" + Py.ints(plan.effectiveShape()) + ")";
      }
    }
    String[] index = new String[n];
    for (int i = 0; i < n; i++) {
      AxisSlice s = plan.axes().get(i);
      int dim = dimOf[i];
      if (s.flip()) {
        x = "torch.flip(" + x + ", [" + dim + "])";
      }
      long stop = s.count() == 0 ? s.start() : s.start() + (s.count() - 1) * s.step() + 1;
      index[dim] = s.start() == 0 && s.step() == 1 && s.count() == plan.effectiveShape()[i] && !s.flip()
          ? ":" : s.start() + ":" + stop + (s.step() == 1 ? "" : ":" + s.step());
    }
    String sliced = x + "[" + String.join(", ", index) + "]";
    if (keepNchw) {
      p.line(p.out(0) + " = " + sliced);
    } else {
      Axes.emitFromTf(p, 0, sliced + ".reshape(" + Py.ints(plan.outShape()) + ")", plan.outShape().length);
    }
  }

  private static int[] ints(PyOp p, int i, String what) {
    return java.util.Arrays.stream(p.ints(i, what)).mapToInt(Math::toIntExact).toArray();
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX Slice in TFLite axes (masks resolved here), then a Reshape to the static output shape (shrink axes). */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.StridedSlice o = s.options(OpOptions.StridedSlice.class);
    if (o.ellipsisMask() != 0 || o.newAxisMask() != 0) {
      throw s.refuse("ellipsis_mask / new_axis_mask");
    }
    long[] begin = s.constInts(1);
    long[] end = s.constInts(2);
    long[] strides = s.constInts(3);
    int r = s.inShape(0).length;
    if (begin.length != r || end.length != r || strides.length != r) {
      throw s.refuse("begin/end/strides of a different length than the rank");
    }
    long[] st = new long[r];
    long[] en = new long[r];
    long[] axes = new long[r];
    for (int i = 0; i < r; i++) {
      boolean neg = strides[i] < 0;
      st[i] = (o.beginMask() >> i & 1) != 0 ? (neg ? Long.MAX_VALUE : 0) : begin[i];
      if ((o.shrinkAxisMask() >> i & 1) != 0) {
        long b = begin[i] < 0 ? begin[i] + s.inShape(0)[i] : begin[i];
        st[i] = b;
        en[i] = b + 1;
        strides[i] = 1;
      } else if ((o.endMask() >> i & 1) != 0) {
        en[i] = neg ? Long.MIN_VALUE : Long.MAX_VALUE;
      } else {
        en[i] = o.offset() ? st[i] + end[i] : end[i];
      }
      axes[i] = i;
    }
    String sl = s.tmp("slice");
    s.node("Slice", List.of(s.tf(0), s.i64(st), s.i64(en), s.i64(axes), s.i64(strides)), List.of(sl));
    long[] shape = java.util.Arrays.stream(s.outShape(0)).asLongStream().toArray();
    s.node("Reshape", List.of(sl, s.i64(shape)), List.of(s.outTf(0)));
  }
}
