package dev.crossalign.port.onnx;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Ops on axes and shapes. Those common in vision models (CONCATENATION, PAD, reductions, SPLIT, DEPTH_TO_SPACE)
 * work on the NCHW value with mapped axes; the rest work in TFLite axes (Transpose in, Transpose out for rank 4),
 * which keeps their semantics TFLite's own at the cost of layout nodes ORT mostly folds away. Shapes are the TFLite
 * static shapes.
 */
final class ShapeOps {
  private ShapeOps() {}

  static void register(Map<BuiltinOp, OpExporter> m) {
    m.put(BuiltinOp.RESHAPE, ShapeOps::reshape);
    m.put(BuiltinOp.SQUEEZE, ShapeOps::reshape);
    m.put(BuiltinOp.EXPAND_DIMS, ShapeOps::reshape);
    m.put(BuiltinOp.CONCATENATION, ShapeOps::concatenation);
    m.put(BuiltinOp.PAD, s -> pad(s, "constant"));
    m.put(BuiltinOp.PADV2, s -> pad(s, "constant"));
    m.put(BuiltinOp.MIRROR_PAD, ShapeOps::mirrorPad);
    m.put(BuiltinOp.MEAN, s -> reduce(s, "ReduceMean", false));
    m.put(BuiltinOp.SUM, s -> reduce(s, "ReduceSum", true));
    m.put(BuiltinOp.REDUCE_MAX, s -> reduce(s, "ReduceMax", false));
    m.put(BuiltinOp.REDUCE_MIN, s -> reduce(s, "ReduceMin", false));
    m.put(BuiltinOp.REDUCE_PROD, s -> reduce(s, "ReduceProd", false));
    m.put(BuiltinOp.TRANSPOSE, ShapeOps::transpose);
    m.put(BuiltinOp.SLICE, ShapeOps::slice);
    m.put(BuiltinOp.STRIDED_SLICE, ShapeOps::stridedSlice);
    m.put(BuiltinOp.GATHER, ShapeOps::gather);
    m.put(BuiltinOp.SPLIT, s -> split(s, 1, 0, -1));
    m.put(BuiltinOp.SPLIT_V, s -> split(s, 0, 2, 1));
    m.put(BuiltinOp.PACK, ShapeOps::pack);
    m.put(BuiltinOp.UNPACK, ShapeOps::unpack);
    m.put(BuiltinOp.TILE, ShapeOps::tile);
    m.put(BuiltinOp.ARG_MAX, s -> argMinMax(s, "ArgMax"));
    m.put(BuiltinOp.ARG_MIN, s -> argMinMax(s, "ArgMin"));
    m.put(BuiltinOp.DEPTH_TO_SPACE, s -> blocks(s, "DepthToSpace"));
    m.put(BuiltinOp.SPACE_TO_DEPTH, s -> blocks(s, "SpaceToDepth"));
    m.put(BuiltinOp.BATCH_MATMUL, ShapeOps::batchMatMul);
    m.put(BuiltinOp.REDUCE_ANY, s -> reduceBool(s, "ReduceMax"));
    m.put(BuiltinOp.REDUCE_ALL, s -> reduceBool(s, "ReduceMin"));
    m.put(BuiltinOp.ZEROS_LIKE, ShapeOps::zerosLike);
    m.put(BuiltinOp.FILL, ShapeOps::fill);
    m.put(BuiltinOp.SHAPE, ShapeOps::shape);
    m.put(BuiltinOp.BROADCAST_TO, ShapeOps::broadcastTo);
    m.put(BuiltinOp.RANGE, ShapeOps::range);
    m.put(BuiltinOp.GATHER_ND, ShapeOps::gatherNd);
    m.put(BuiltinOp.TOPK_V2, ShapeOps::topK);
    m.put(BuiltinOp.ONE_HOT, ShapeOps::oneHot);
    m.put(BuiltinOp.REVERSE_V2, ShapeOps::reverse);
    m.put(BuiltinOp.CUMSUM, ShapeOps::cumsum);
    m.put(BuiltinOp.SPACE_TO_BATCH_ND, s -> spaceBatch(s, true));
    m.put(BuiltinOp.BATCH_TO_SPACE_ND, s -> spaceBatch(s, false));
  }

  /** REDUCE_ANY / REDUCE_ALL: bool -> int32, ReduceMax / ReduceMin over the TFLite axes, -> bool. */
  private static void reduceBool(OnnxOp s, String type) {
    boolean keep = s.options() instanceof OpOptions.Reducer rd && rd.keepDims();
    int r = s.inShape(0).length;
    long[] tfAxes = s.constInts(1);
    java.util.TreeSet<Long> axes = new java.util.TreeSet<>();
    for (long a : tfAxes) {
      long ax = a < 0 ? a + r : a;
      if (ax < 0 || ax >= r) {
        throw s.refuse("axis " + a + " out of range for rank " + r);
      }
      axes.add(ax);
    }
    String asInt = s.tmp("as_int");
    s.node("Cast", List.of(s.tf(0)), List.of(asInt),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(dev.crossalign.tensor.DType.INT32)));
    String red = s.tmp("reduced");
    if (axes.isEmpty()) {
      s.node("Identity", List.of(asInt), List.of(red));
    } else {
      // opset 17: ReduceMax / ReduceMin take the axes as an attribute
      s.node(type, List.of(asInt), List.of(red), OnnxGraphBuilder.attrs().putInt("keepdims", keep ? 1 : 0)
          .putInts("axes", axes.stream().mapToLong(Long::longValue).toArray()));
    }
    s.node("Cast", List.of(red), List.of(s.outTf(0)),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(dev.crossalign.tensor.DType.BOOL)));
  }

  /** A constant result in TFLite axes (rank 4 transposed to NCHW by outTf). */
  private static void constantOut(OnnxOp s, dev.crossalign.tensor.HostTensor v) {
    s.node("Identity", List.of(s.init(s.outInfo(0).name() + "/value", v)), List.of(s.outTf(0)));
  }

  /** ZEROS_LIKE: x * 0 would keep NaN and -0; the static shape gives a constant instead. */
  private static void zerosLike(OnnxOp s) {
    int[] shape = s.outShape(0);
    int n = (int) dev.crossalign.tensor.HostTensor.numel(shape);
    dev.crossalign.tflite.TensorType t = s.outInfo(0).type();
    dev.crossalign.tensor.Layout any = dev.crossalign.tensor.Layout.ANY;
    switch (t) {
      case FLOAT32 -> constantOut(s, dev.crossalign.tensor.HostTensor.ofFloats(shape, any, new float[n]));
      case INT32 -> constantOut(s, dev.crossalign.tensor.HostTensor.ofInts(shape, any, new int[n]));
      case INT64 -> constantOut(s, dev.crossalign.tensor.HostTensor.ofLongs(shape, any, new long[n]));
      default -> throw s.refuse("type " + t);
    }
  }

  /** FILL: the scalar value Expand-ed to the constant dims. */
  private static void fill(OnnxOp s) {
    long[] dims = s.constInts(0);
    s.node("Expand", List.of(s.tf(1), s.i64(dims)), List.of(s.outTf(0)));
  }

  /** SHAPE: TFLite's static shape of the input (NHWC for rank 4), as a constant of the output type. */
  private static void shape(OnnxOp s) {
    int[] shape = s.inShape(0);
    dev.crossalign.tflite.TensorType t = s.outInfo(0).type();
    dev.crossalign.tensor.Layout any = dev.crossalign.tensor.Layout.ANY;
    int[] dim = {shape.length};
    switch (t) {
      case INT32 -> constantOut(s, dev.crossalign.tensor.HostTensor.ofInts(dim, any, shape.clone()));
      case INT64 -> constantOut(s, dev.crossalign.tensor.HostTensor.ofLongs(dim, any, longs(shape)));
      default -> throw s.refuse("output type " + t);
    }
  }

  /**
   * ONE_HOT with a constant depth, in TFLite axes: Where(Equal(Unsqueeze(indices), [0..depth) along the new axis),
   * on, off). Not ONNX OneHot, which wraps negative indices where TFLite gives an all-off row.
   */
  private static void oneHot(OnnxOp s) {
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
    java.util.Arrays.fill(rs, 1);
    rs[axis] = (int) depth[0];
    long[] range = new long[(int) depth[0]];
    for (int j = 0; j < range.length; j++) {
      range[j] = j;
    }
    String idx = s.tmp("indices_i64");
    s.node("Cast", List.of(s.tf(0)), List.of(idx),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(dev.crossalign.tensor.DType.INT64)));
    String un = s.tmp("indices_u");
    s.node("Unsqueeze", List.of(idx, s.i64(axis)), List.of(un));
    String hit = s.tmp("hit");
    String rc = s.init(s.outInfo(0).name() + "/range",
        dev.crossalign.tensor.HostTensor.ofLongs(rs, dev.crossalign.tensor.Layout.ANY, range));
    s.node("Equal", List.of(un, rc), List.of(hit));
    s.node("Where", List.of(hit, s.tf(2), s.tf(3)), List.of(s.outTf(0)));
  }

  /** GATHER_ND (batch_dims 0): ONNX GatherND on int64 indices, in TFLite axes. */
  private static void gatherNd(OnnxOp s) {
    String idx = s.tmp("indices_i64");
    s.node("Cast", List.of(s.tf(1)), List.of(idx),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(dev.crossalign.tensor.DType.INT64)));
    s.node("GatherND", List.of(s.tf(0), idx), List.of(s.outTf(0)));
  }

  /**
   * TOPK_V2 with a constant k: ONNX TopK (largest, sorted; equal values keep the lower index first, as in TFLite)
   * over the last TFLite axis, indices cast to int32.
   */
  private static void topK(OnnxOp s) {
    long[] k = s.constInts(1);
    if (k.length != 1) {
      throw s.refuse("k must be a single value");
    }
    if (s.outInfo(1).type() != dev.crossalign.tflite.TensorType.INT32) {
      throw s.refuse("indices type " + s.outInfo(1).type());
    }
    String values = s.outTf(0);
    String idx64 = s.tmp("indices_i64");
    s.node("TopK", List.of(s.tf(0), s.i64(k[0])), List.of(values, idx64),
        OnnxGraphBuilder.attrs().putInt("axis", -1).putInt("largest", 1).putInt("sorted", 1));
    s.node("Cast", List.of(idx64), List.of(s.outTf(1)),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(dev.crossalign.tensor.DType.INT32)));
  }

  /** RANGE over constants: the values accumulated as TFLite does (value += delta in the element type). */
  private static void range(OnnxOp s) {
    int[] out = s.outShape(0);
    dev.crossalign.tflite.TensorType t = s.outInfo(0).type();
    if (out.length != 1) {
      throw s.refuse("output is not rank 1");
    }
    int n = out[0];
    dev.crossalign.tensor.Layout any = dev.crossalign.tensor.Layout.ANY;
    if (t == dev.crossalign.tflite.TensorType.INT32) {
      int value = (int) s.constInts(0)[0];
      int delta = (int) s.constInts(2)[0];
      int[] v = new int[n];
      for (int i = 0; i < n; i++) {
        v[i] = value;
        value += delta;
      }
      constantOut(s, dev.crossalign.tensor.HostTensor.ofInts(out, any, v));
    } else if (t == dev.crossalign.tflite.TensorType.FLOAT32) {
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
      constantOut(s, dev.crossalign.tensor.HostTensor.ofFloats(out, any, v));
    } else {
      throw s.refuse("output type " + t);
    }
  }

  private static void broadcastTo(OnnxOp s) {
    s.node("Expand", List.of(s.tf(0), s.i64(s.constInts(1))), List.of(s.outTf(0)));
  }

  /** REVERSE_V2: a Slice with step -1 per reversed TFLite axis. */
  private static void reverse(OnnxOp s) {
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

  /** CUMSUM: ONNX CumSum over the mapped axis, exclusive / reverse attributes as TFLite's options. */
  private static void cumsum(OnnxOp s) {
    boolean exclusive = s.options() instanceof OpOptions.Cumsum c && c.exclusive();
    boolean reverse = s.options() instanceof OpOptions.Cumsum c && c.reverse();
    long[] axis = s.constInts(1);
    if (axis.length != 1) {
      throw s.refuse("axis must be a scalar");
    }
    int r = s.inShape(0).length;
    String ax = s.init(s.outInfo(0).name() + "/axis", dev.crossalign.tensor.HostTensor.ofLongs(new int[0],
        dev.crossalign.tensor.Layout.ANY, new long[] {OnnxOp.axis((int) axis[0], r)}));
    s.node("CumSum", List.of(s.x(0), ax), List.of(s.out(0)),
        OnnxGraphBuilder.attrs().putInt("exclusive", exclusive ? 1 : 0).putInt("reverse", reverse ? 1 : 0));
  }

  /**
   * SPACE_TO_BATCH_ND / BATCH_TO_SPACE_ND, rank 4 with two block dims, in TFLite axes: Pad (zeros) + Reshape +
   * Transpose + Reshape, and the inverse Reshape + Transpose + Reshape + Slice (crops). Batch index order is TFLite's:
   * (bh_i * block_w + bw_i) * batch + b.
   */
  private static void spaceBatch(OnnxOp s, boolean toBatch) {
    int[] in = s.inShape(0);
    if (in.length != 4) {
      throw s.refuse("rank " + in.length + " input (only rank 4 is exported)");
    }
    long[] block = s.constInts(1);
    long[] pc = s.constInts(2);
    if (block.length != 2 || pc.length != 4 || block[0] < 1 || block[1] < 1) {
      throw s.refuse("block_shape " + Arrays.toString(block) + " / " + Arrays.toString(pc));
    }
    for (long v : pc) {
      if (v < 0) {
        throw s.refuse("negative padding or crop " + Arrays.toString(pc));
      }
    }
    long bh = block[0];
    long bw = block[1];
    long n = in[0];
    long h = in[1];
    long w = in[2];
    long c = in[3];
    if (toBatch) {
      long hp = h + pc[0] + pc[1];
      long wp = w + pc[2] + pc[3];
      if (hp % bh != 0 || wp % bw != 0) {
        throw s.refuse("padded size not divisible by the block");
      }
      String padded = s.tmp("padded");
      s.node("Pad", List.of(s.tf(0), s.i64(0, pc[0], pc[2], 0, 0, pc[1], pc[3], 0)), List.of(padded));
      String r6 = s.tmp("r6");
      s.node("Reshape", List.of(padded, s.i64(n, hp / bh, bh, wp / bw, bw, c)), List.of(r6));
      String t6 = s.tmp("t6");
      s.node("Transpose", List.of(r6), List.of(t6), OnnxGraphBuilder.attrs().putInts("perm", new int[] {2, 4, 0, 1, 3,
          5}));
      s.node("Reshape", List.of(t6, s.i64(n * bh * bw, hp / bh, wp / bw, c)), List.of(s.outTf(0)));
      return;
    }
    if (n % (bh * bw) != 0) {
      throw s.refuse("batch not divisible by the block");
    }
    long nb = n / (bh * bw);
    long ho = h * bh;
    long wo = w * bw;
    String r6 = s.tmp("r6");
    s.node("Reshape", List.of(s.tf(0), s.i64(bh, bw, nb, h, w, c)), List.of(r6));
    String t6 = s.tmp("t6");
    s.node("Transpose", List.of(r6), List.of(t6), OnnxGraphBuilder.attrs().putInts("perm", new int[] {2, 3, 0, 4, 1,
        5}));
    String full = s.tmp("uncropped");
    s.node("Reshape", List.of(t6, s.i64(nb, ho, wo, c)), List.of(full));
    s.node("Slice", List.of(full, s.i64(pc[0], pc[2]), s.i64(ho - pc[1], wo - pc[3]), s.i64(1, 2)),
        List.of(s.outTf(0)));
  }

  private static long[] longs(int[] v) {
    return Arrays.stream(v).asLongStream().toArray();
  }

  /** RESHAPE / SQUEEZE / EXPAND_DIMS: a Reshape in TFLite axes to the static output shape. */
  private static void reshape(OnnxOp s) {
    s.node("Reshape", List.of(s.tf(0), s.i64(longs(s.outShape(0)))), List.of(s.outTf(0)));
  }

  private static void concatenation(OnnxOp s) {
    OpOptions.Concatenation o = s.options(OpOptions.Concatenation.class);
    int r = s.outShape(0).length;
    List<String> ins = new ArrayList<>();
    for (int i = 0; i < s.inputCount(); i++) {
      ins.add(s.x(i));
    }
    s.node("Concat", ins, List.of(s.out(0, false, o.activation())),
        OnnxGraphBuilder.attrs().putInt("axis", OnnxOp.axis(o.axis(), r)));
  }

  /** TFLite paddings [rank, 2] -> ONNX pads [begins..., ends...] in the value's axis order. */
  private static long[] pads(OnnxOp s, int r) {
    long[] p = s.constInts(1);
    if (p.length != 2L * r) {
      throw s.refuse("paddings of " + p.length + " values for rank " + r);
    }
    long[] out = new long[2 * r];
    for (int tfAxis = 0; tfAxis < r; tfAxis++) {
      int k = OnnxOp.axis(tfAxis, r);
      out[k] = p[2 * tfAxis];
      out[r + k] = p[2 * tfAxis + 1];
    }
    return out;
  }

  private static void pad(OnnxOp s, String mode) {
    int r = s.inShape(0).length;
    List<String> ins = new ArrayList<>(List.of(s.x(0), s.i64(pads(s, r))));
    if (s.has(2)) {
      ins.add(s.tf(2)); // PADV2 constant value (a scalar or [1])
      if (s.inShape(2).length != 0) {
        String scalar = s.tmp("pad_value");
        s.node("Reshape", List.of(ins.remove(2), s.i64()), List.of(scalar));
        ins.add(scalar);
      }
    }
    s.node("Pad", ins, List.of(s.out(0)), OnnxGraphBuilder.attrs().putString("mode", mode));
  }

  private static void mirrorPad(OnnxOp s) {
    OpOptions.MirrorPad o = s.options(OpOptions.MirrorPad.class);
    if (o.mode() != 0) {
      throw s.refuse("SYMMETRIC mirror padding has no ONNX Pad mode (only REFLECT maps to 'reflect')");
    }
    pad(s, "reflect");
  }

  private static void reduce(OnnxOp s, String type, boolean axesInput) {
    boolean keep = s.options() instanceof OpOptions.Reducer rd && rd.keepDims();
    int r = s.inShape(0).length;
    long[] tfAxes = s.constInts(1);
    boolean[] reduced = new boolean[r];
    for (long a : tfAxes) {
      int ax = (int) (a < 0 ? a + r : a);
      if (ax < 0 || ax >= r) {
        throw s.refuse("axis " + a + " out of range for rank " + r);
      }
      reduced[ax] = true;
    }
    // Native NCHW when the kept axes come out in TFLite's order; else reduce in TFLite axes.
    boolean nativeOk = r != 4 || keep || nativeOrderMatches(reduced);
    List<Long> axes = new ArrayList<>();
    for (int a = 0; a < r; a++) {
      if (reduced[a]) {
        axes.add((long) (nativeOk ? OnnxOp.axis(a, r) : a));
      }
    }
    long[] ax = axes.stream().sorted().mapToLong(Long::longValue).toArray();
    String x = nativeOk ? s.x(0) : s.tf(0);
    boolean outRank4 = s.outShape(0).length == 4;
    String y = nativeOk || !outRank4 ? s.out(0) : s.outTf(0);
    if (nativeOk && !keep && outRank4) {
      throw s.refuse("reduction keeps rank 4 without keep_dims");
    }
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs().putInt("keepdims", keep ? 1 : 0);
    if (axesInput) {
      s.node(type, List.of(x, s.i64(ax)), List.of(y), a);
    } else {
      s.node(type, List.of(x), List.of(y), a.putInts("axes", ax));
    }
  }

  private static boolean nativeOrderMatches(boolean[] reduced) {
    List<Integer> tf = new ArrayList<>();
    List<Integer> nchw = new ArrayList<>();
    for (int a = 0; a < 4; a++) {
      if (!reduced[a]) {
        tf.add(a);
      }
    }
    for (int a : new int[] {0, 3, 1, 2}) {
      if (!reduced[a]) {
        nchw.add(a);
      }
    }
    return tf.equals(nchw);
  }

  private static void transpose(OnnxOp s) {
    long[] perm = s.constInts(1);
    s.node("Transpose", List.of(s.tf(0)), List.of(s.outTf(0)), OnnxGraphBuilder.attrs().putInts("perm", perm));
  }

  private static void slice(OnnxOp s) {
    long[] begin = s.constInts(1);
    long[] size = s.constInts(2);
    int r = s.inShape(0).length;
    long[] end = new long[r];
    long[] axes = new long[r];
    for (int i = 0; i < r; i++) {
      end[i] = size[i] < 0 ? Long.MAX_VALUE : begin[i] + size[i];
      axes[i] = i;
    }
    s.node("Slice", List.of(s.tf(0), s.i64(begin), s.i64(end), s.i64(axes)), List.of(s.outTf(0)));
  }

  private static void stridedSlice(OnnxOp s) {
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
    s.node("Slice", List.of(s.tf(0), s.i64(st), s.i64(en), s.i64(axes), s.i64(strides)),
        List.of(sl));
    s.node("Reshape", List.of(sl, s.i64(longs(s.outShape(0)))), List.of(s.outTf(0)));
  }

  private static void gather(OnnxOp s) {
    OpOptions.Gather o = s.options(OpOptions.Gather.class);
    if (o.batchDims() != 0) {
      throw s.refuse("batch_dims " + o.batchDims());
    }
    int r = s.inShape(0).length;
    int axis = o.axis() < 0 ? o.axis() + r : o.axis();
    s.node("Gather", List.of(s.tf(0), s.tf(1)), List.of(s.outTf(0)),
        OnnxGraphBuilder.attrs().putInt("axis", axis));
  }

  /** SPLIT (axis, x) and SPLIT_V (x, size_splits, axis) on the native value. */
  private static void split(OnnxOp s, int xIn, int axisIn, int sizesIn) {
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

  private static void pack(OnnxOp s) {
    OpOptions.Pack o = s.options(OpOptions.Pack.class);
    int r = s.outShape(0).length;
    int axis = o.axis() < 0 ? o.axis() + r : o.axis();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < s.inputCount(); i++) {
      String u = s.tmp("unsq" + i);
      s.node("Unsqueeze", List.of(s.tf(i), s.i64(axis)), List.of(u));
      parts.add(u);
    }
    s.node("Concat", parts, List.of(s.outTf(0)), OnnxGraphBuilder.attrs().putInt("axis", axis));
  }

  private static void unpack(OnnxOp s) {
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

  private static void tile(OnnxOp s) {
    s.node("Tile", List.of(s.tf(0), s.i64(s.constInts(1))), List.of(s.outTf(0)));
  }

  private static void argMinMax(OnnxOp s, String type) {
    long[] axisV = s.constInts(1);
    int r = s.inShape(0).length;
    int axis = (int) (axisV[0] < 0 ? axisV[0] + r : axisV[0]);
    String idx = s.tmp("i64");
    s.node(type, List.of(s.tf(0)), List.of(idx), OnnxGraphBuilder.attrs().putInt("axis", axis).putInt("keepdims", 0));
    s.node("Cast", List.of(idx), List.of(s.outTf(0)),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(s.outInfo(0).type().dtype())));
  }

  /** DEPTH_TO_SPACE / SPACE_TO_DEPTH: TF's NHWC channel order (block offsets first) is ONNX's DCR order in NCHW. */
  private static void blocks(OnnxOp s, String type) {
    if (!(s.options() instanceof OpOptions.BlockSize bs)) {
      throw s.refuse("missing block size");
    }
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs().putInt("blocksize", bs.blockSize());
    if (type.equals("DepthToSpace")) {
      a.putString("mode", "DCR");
    }
    s.node(type, List.of(s.x(0)), List.of(s.out(0)), a);
  }

  private static void batchMatMul(OnnxOp s) {
    OpOptions.BatchMatMul o = s.options(OpOptions.BatchMatMul.class);
    String a = adj(s, 0, o.adjX());
    String b = adj(s, 1, o.adjY());
    s.node("MatMul", List.of(a, b), List.of(s.outTf(0)));
  }

  private static String adj(OnnxOp s, int i, boolean adjoint) {
    String v = s.tf(i);
    if (!adjoint) {
      return v;
    }
    int r = s.inShape(i).length;
    long[] perm = new long[r];
    for (int k = 0; k < r; k++) {
      perm[k] = k;
    }
    perm[r - 1] = r - 2;
    perm[r - 2] = r - 1;
    String t = s.tmp("adj" + i);
    s.node("Transpose", List.of(v), List.of(t), OnnxGraphBuilder.attrs().putInts("perm", perm));
    return t;
  }
}
