package dev.crossalign.onnx.export;

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
  }

  private static long[] longs(int[] v) {
    return Arrays.stream(v).asLongStream().toArray();
  }

  /** RESHAPE / SQUEEZE / EXPAND_DIMS: a Reshape in TFLite axes to the static output shape. */
  private static void reshape(ExportContext.OpScope s) {
    s.node("Reshape", List.of(s.tf(0), s.ctx().i64(longs(s.outShape(0)))), List.of(s.outTf(0)));
  }

  private static void concatenation(ExportContext.OpScope s) {
    OpOptions.Concatenation o = s.options(OpOptions.Concatenation.class);
    int r = s.outShape(0).length;
    List<String> ins = new ArrayList<>();
    for (int i = 0; i < s.inputCount(); i++) {
      ins.add(s.x(i));
    }
    s.node("Concat", ins, List.of(s.out(0, false, o.activation())),
        OnnxGraphBuilder.attrs().putInt("axis", ExportContext.axis(o.axis(), r)));
  }

  /** TFLite paddings [rank, 2] -> ONNX pads [begins..., ends...] in the value's axis order. */
  private static long[] pads(ExportContext.OpScope s, int r) {
    long[] p = s.constInts(1);
    if (p.length != 2L * r) {
      throw s.refuse("paddings of " + p.length + " values for rank " + r);
    }
    long[] out = new long[2 * r];
    for (int tfAxis = 0; tfAxis < r; tfAxis++) {
      int k = ExportContext.axis(tfAxis, r);
      out[k] = p[2 * tfAxis];
      out[r + k] = p[2 * tfAxis + 1];
    }
    return out;
  }

  private static void pad(ExportContext.OpScope s, String mode) {
    int r = s.inShape(0).length;
    List<String> ins = new ArrayList<>(List.of(s.x(0), s.ctx().i64(pads(s, r))));
    if (s.has(2)) {
      ins.add(s.tf(2)); // PADV2 constant value (a scalar or [1])
      if (s.inShape(2).length != 0) {
        String scalar = s.tmp("pad_value");
        s.node("Reshape", List.of(ins.remove(2), s.ctx().i64()), List.of(scalar));
        ins.add(scalar);
      }
    }
    s.node("Pad", ins, List.of(s.out(0)), OnnxGraphBuilder.attrs().putString("mode", mode));
  }

  private static void mirrorPad(ExportContext.OpScope s) {
    OpOptions.MirrorPad o = s.options(OpOptions.MirrorPad.class);
    if (o.mode() != 0) {
      throw s.refuse("SYMMETRIC mirror padding has no ONNX Pad mode (only REFLECT maps to 'reflect')");
    }
    pad(s, "reflect");
  }

  private static void reduce(ExportContext.OpScope s, String type, boolean axesInput) {
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
        axes.add((long) (nativeOk ? ExportContext.axis(a, r) : a));
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
      s.node(type, List.of(x, s.ctx().i64(ax)), List.of(y), a);
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

  private static void transpose(ExportContext.OpScope s) {
    long[] perm = s.constInts(1);
    s.node("Transpose", List.of(s.tf(0)), List.of(s.outTf(0)), OnnxGraphBuilder.attrs().putInts("perm", perm));
  }

  private static void slice(ExportContext.OpScope s) {
    long[] begin = s.constInts(1);
    long[] size = s.constInts(2);
    int r = s.inShape(0).length;
    long[] end = new long[r];
    long[] axes = new long[r];
    for (int i = 0; i < r; i++) {
      end[i] = size[i] < 0 ? Long.MAX_VALUE : begin[i] + size[i];
      axes[i] = i;
    }
    s.node("Slice", List.of(s.tf(0), s.ctx().i64(begin), s.ctx().i64(end), s.ctx().i64(axes)), List.of(s.outTf(0)));
  }

  private static void stridedSlice(ExportContext.OpScope s) {
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
    s.node("Slice", List.of(s.tf(0), s.ctx().i64(st), s.ctx().i64(en), s.ctx().i64(axes), s.ctx().i64(strides)),
        List.of(sl));
    s.node("Reshape", List.of(sl, s.ctx().i64(longs(s.outShape(0)))), List.of(s.outTf(0)));
  }

  private static void gather(ExportContext.OpScope s) {
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
  private static void split(ExportContext.OpScope s, int xIn, int axisIn, int sizesIn) {
    long[] axisV = s.constInts(axisIn);
    int r = s.inShape(xIn).length;
    int tfAxis = (int) (axisV[0] < 0 ? axisV[0] + r : axisV[0]);
    int n = s.op.outputs().length;
    long[] sizes = new long[n];
    for (int k = 0; k < n; k++) {
      sizes[k] = s.outShape(k)[tfAxis];
    }
    List<String> outs = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      outs.add(s.out(k));
    }
    s.node("Split", List.of(s.x(xIn), s.ctx().i64(sizes)), outs,
        OnnxGraphBuilder.attrs().putInt("axis", ExportContext.axis(tfAxis, r)));
  }

  private static void pack(ExportContext.OpScope s) {
    OpOptions.Pack o = s.options(OpOptions.Pack.class);
    int r = s.outShape(0).length;
    int axis = o.axis() < 0 ? o.axis() + r : o.axis();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < s.inputCount(); i++) {
      String u = s.tmp("unsq" + i);
      s.node("Unsqueeze", List.of(s.tf(i), s.ctx().i64(axis)), List.of(u));
      parts.add(u);
    }
    s.node("Concat", parts, List.of(s.outTf(0)), OnnxGraphBuilder.attrs().putInt("axis", axis));
  }

  private static void unpack(ExportContext.OpScope s) {
    OpOptions.Unpack o = s.options(OpOptions.Unpack.class);
    int r = s.inShape(0).length;
    int axis = o.axis() < 0 ? o.axis() + r : o.axis();
    int n = s.op.outputs().length;
    List<String> parts = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      parts.add(s.tmp("part" + k));
    }
    long[] ones = new long[n];
    Arrays.fill(ones, 1);
    s.node("Split", List.of(s.tf(0), s.ctx().i64(ones)), parts, OnnxGraphBuilder.attrs().putInt("axis", axis));
    for (int k = 0; k < n; k++) {
      s.node("Squeeze", List.of(parts.get(k), s.ctx().i64(axis)), List.of(s.outTf(k)));
    }
  }

  private static void tile(ExportContext.OpScope s) {
    s.node("Tile", List.of(s.tf(0), s.ctx().i64(s.constInts(1))), List.of(s.outTf(0)));
  }

  private static void argMinMax(ExportContext.OpScope s, String type) {
    long[] axisV = s.constInts(1);
    int r = s.inShape(0).length;
    int axis = (int) (axisV[0] < 0 ? axisV[0] + r : axisV[0]);
    String idx = s.tmp("i64");
    s.node(type, List.of(s.tf(0)), List.of(idx), OnnxGraphBuilder.attrs().putInt("axis", axis).putInt("keepdims", 0));
    s.node("Cast", List.of(idx), List.of(s.outTf(0)),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(s.outInfo(0).type().dtype())));
  }

  /** DEPTH_TO_SPACE / SPACE_TO_DEPTH: TF's NHWC channel order (block offsets first) is ONNX's DCR order in NCHW. */
  private static void blocks(ExportContext.OpScope s, String type) {
    if (!(s.options() instanceof OpOptions.BlockSize bs)) {
      throw s.refuse("missing block size");
    }
    OnnxGraphBuilder.Attrs a = OnnxGraphBuilder.attrs().putInt("blocksize", bs.blockSize());
    if (type.equals("DepthToSpace")) {
      a.putString("mode", "DCR");
    }
    s.node(type, List.of(s.x(0)), List.of(s.out(0)), a);
  }

  private static void batchMatMul(ExportContext.OpScope s) {
    OpOptions.BatchMatMul o = s.options(OpOptions.BatchMatMul.class);
    String a = adj(s, 0, o.adjX());
    String b = adj(s, 1, o.adjY());
    s.node("MatMul", List.of(a, b), List.of(s.outTf(0)));
  }

  private static String adj(ExportContext.OpScope s, int i, boolean adjoint) {
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
