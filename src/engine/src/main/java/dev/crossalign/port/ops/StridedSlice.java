package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.StridedSlicePlan;
import dev.crossalign.tflite.StridedSlicePlan.AxisSlice;
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
    StridedSlicePlan p;
    try {
      p = StridedSlicePlan.of(in, begin, end, strides, o);
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
    StridedSlicePlan plan;
    try {
      plan = StridedSlicePlan.of(in, begin, end, strides, o);
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

  /**
   * ONNX in TFLite axes from the same {@link StridedSlicePlan} as the lowering: a Reshape to the effective shape when
   * new axes were added, one Slice over the axes that are not taken whole (a flipped axis as a negative step from its
   * last element), and a Reshape to the static output shape (dropping the shrunk axes).
   */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.StridedSlice o = s.options(OpOptions.StridedSlice.class);
    int[] begin = onnxInts(s, 1);
    int[] end = onnxInts(s, 2);
    int[] strides = onnxInts(s, 3);
    if (begin.length != end.length || begin.length != strides.length) {
      throw s.refuse("begin, end and strides differ in length");
    }
    StridedSlicePlan plan;
    try {
      plan = StridedSlicePlan.of(s.inShape(0), begin, end, strides, o);
    } catch (IllegalArgumentException e) {
      throw s.refuse(e.getMessage());
    }
    int[] eff = plan.effectiveShape();
    String x = s.tf(0);
    if (plan.anyNewAxis()) {
      String r = s.tmp("new_axes");
      s.node("Reshape", List.of(x, s.i64(java.util.Arrays.stream(eff).asLongStream().toArray())), List.of(r));
      x = r;
    }
    List<Long> st = new java.util.ArrayList<>();
    List<Long> en = new java.util.ArrayList<>();
    List<Long> axes = new java.util.ArrayList<>();
    List<Long> steps = new java.util.ArrayList<>();
    for (int i = 0; i < eff.length; i++) {
      AxisSlice a = plan.axes().get(i);
      if (!a.flip() && a.start() == 0 && a.step() == 1 && a.count() == eff[i]) {
        continue;
      }
      axes.add((long) i);
      if (a.count() == 0) {
        st.add(0L);
        en.add(0L);
        steps.add(1L);
      } else if (!a.flip()) {
        st.add(a.start());
        en.add(a.start() + (a.count() - 1) * a.step() + 1);
        steps.add(a.step());
      } else {
        // element k of the flipped axis is element n - 1 - k of the axis; walk it backwards
        long first = eff[i] - 1 - a.start();
        long past = first - (a.count() - 1) * a.step() - 1;
        st.add(first);
        en.add(past < 0 ? Long.MIN_VALUE : past);
        steps.add(-a.step());
      }
    }
    if (!axes.isEmpty()) {
      String sl = s.tmp("slice");
      s.node("Slice", List.of(x, s.i64(onnxLongs(st)), s.i64(onnxLongs(en)), s.i64(onnxLongs(axes)),
          s.i64(onnxLongs(steps))), List.of(sl));
      x = sl;
    }
    long[] shape = java.util.Arrays.stream(s.outShape(0)).asLongStream().toArray();
    s.node("Reshape", List.of(x, s.i64(shape)), List.of(s.outTf(0)));
  }

  private static int[] onnxInts(OnnxOp s, int i) {
    long[] v = s.constInts(i);
    int[] out = new int[v.length];
    for (int k = 0; k < v.length; k++) {
      if (v[k] != (int) v[k]) {
        throw s.refuse("input " + i + " value " + v[k] + " does not fit int32");
      }
      out[k] = (int) v[k];
    }
    return out;
  }

  private static long[] onnxLongs(List<Long> v) {
    return v.stream().mapToLong(Long::longValue).toArray();
  }
}
