package dev.crossalign.tflite;

import java.util.Arrays;

/**
 * The output shape an op's kernel derives from its inputs' declared shapes and constant values, for the ops whose
 * output can be larger than any of their inputs (what {@link TensorSizes} bounds) and the slices (whose declared
 * output must be what TFLite makes). Null when this op is not one of them or its inputs do not say (a shape tensor
 * computed at run time, a malformed op the per-op checks refuse).
 */
final class DerivedShapes {
  private DerivedShapes() {}

  /** At most this many entries are read from a constant shape tensor; a longer one is malformed anyway. */
  private static final int MAX_VALUES = 16;

  static long[] of(TfliteModel model, Subgraph g, Operator op) {
    return switch (op.builtin()) {
      case CONV_2D, DEPTHWISE_CONV_2D -> {
        long[] e = convExact(g, op);
        yield e != null ? e : conv(g, op);
      }
      case PAD, PADV2, MIRROR_PAD -> pad(model, g, op);
      case TILE -> tile(model, g, op);
      case BROADCAST_TO -> values(model, g, op, 1);
      case FILL -> values(model, g, op, 0);
      case TRANSPOSE_CONV -> values(model, g, op, 0);
      case RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR -> resize(model, g, op);
      case ONE_HOT -> oneHot(model, g, op);
      case STRIDED_SLICE -> stridedSlice(model, g, op);
      case MEAN, SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN, REDUCE_ANY, REDUCE_ALL -> reduce(model, g, op);
      case SLICE -> slice(model, g, op);
      case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, POW, SQUARED_DIFFERENCE, FLOOR_DIV, FLOOR_MOD, LESS, LESS_EQUAL,
          GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL, LOGICAL_AND, LOGICAL_OR, ATAN2, SELECT_V2 -> broadcast(g, op);
      case CONCATENATION -> concat(g, op);
      default -> null;
    };
  }

  /**
   * The output shape TFLite's Prepare gives this op, for the ops of {@link #of} (their derivation is exact), when the
   * inputs make a valid one (no negative padding, multiple or size, broadcastable shapes, a concatenation whose other
   * axes agree, a slice inside its input); null otherwise.
   */
  static long[] exact(TfliteModel model, Subgraph g, Operator op) {
    long[] s = switch (op.builtin()) {
      case CONV_2D, DEPTHWISE_CONV_2D -> convExact(g, op);
      default -> of(model, g, op);
    };
    if (s == null || !valid(model, g, op)) {
      return null;
    }
    for (long d : s) {
      if (d < 0) {
        return null;
      }
    }
    return s;
  }

  /**
   * TFLite's conv output: [N, out(H), out(W), filter's out channels] by the SAME/VALID rule with strides and dilations
   * ({@link SamePadding}); null when TFLite would refuse the op itself (a stride or dilation below 1, input channels
   * the filter does not take).
   */
  private static long[] convExact(Subgraph g, Operator op) {
    ConvGeometry c = ConvGeometry.of(g, op);
    if (c == null || !c.channelsOk() || Arrays.stream(c.p()).anyMatch(v -> v < 1)) {
      return null;
    }
    int oh = SamePadding.of(c.padding(), c.x()[1], c.w()[1], c.p()[0], c.p()[2]).out();
    int ow = SamePadding.of(c.padding(), c.x()[2], c.w()[2], c.p()[1], c.p()[3]).out();
    return new long[] {c.x()[0], oh, ow, c.outChannels(op)};
  }

  /**
   * A conv's input and filter shapes (both 4-D) and its options as TFLite's Prepare reads them: p = strideH, strideW,
   * dilationH, dilationW; channelsOk when the filter takes the input's channels. Null for other shapes or options.
   */
  record ConvGeometry(int[] x, int[] w, Padding padding, int[] p, boolean channelsOk) {
    static ConvGeometry of(Subgraph g, Operator op) {
      int[] x = in(g, op, 0);
      int[] w = in(g, op, 1);
      if (x == null || w == null || x.length != 4 || w.length != 4) {
        return null;
      }
      if (op.options() instanceof OpOptions.Conv2D o && o.padding() != null) {
        return new ConvGeometry(x, w, o.padding(), new int[] {o.strideH(), o.strideW(), o.dilationH(), o.dilationW()},
            w[3] == x[3]);
      }
      if (op.options() instanceof OpOptions.DepthwiseConv2D o && o.padding() != null) {
        return new ConvGeometry(x, w, o.padding(), new int[] {o.strideH(), o.strideW(), o.dilationH(), o.dilationW()},
            x[3] > 0 && w[3] % x[3] == 0);
      }
      return null;
    }

    /** The output's channels: the filter's first axis for CONV_2D, its last for DEPTHWISE_CONV_2D. */
    long outChannels(Operator op) {
      return op.builtin() == BuiltinOp.CONV_2D ? w[0] : w[3];
    }
  }

  /** ONE_HOT's new axis in the output (-1: last), or -1 when TFLite's Prepare refuses the option. */
  static int oneHotAxis(OpOptions.OneHot o, int rank) {
    int axis = o.axis() == -1 ? rank : o.axis();
    return axis >= 0 && axis <= rank ? axis : -1;
  }

  /** The inputs of an op of {@link #exact} are what TFLite's Prepare accepts (else it refuses the op itself). */
  private static boolean valid(TfliteModel model, Subgraph g, Operator op) {
    return switch (op.builtin()) {
      case PAD, PADV2, MIRROR_PAD, TILE -> {
        long[] v = ints(model, g, op, 1);
        yield v != null && Arrays.stream(v).allMatch(x -> x >= 0);
      }
      case RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR -> {
        long[] v = ints(model, g, op, 1);
        yield v != null && Arrays.stream(v).allMatch(x -> x > 0);
      }
      case CONCATENATION -> concatenable(g, op);
      case BROADCAST_TO, FILL, TRANSPOSE_CONV, CONV_2D, DEPTHWISE_CONV_2D, STRIDED_SLICE, SLICE, ONE_HOT, MEAN, SUM,
          REDUCE_PROD, REDUCE_MAX, REDUCE_MIN, REDUCE_ANY, REDUCE_ALL -> true;
      default -> broadcastable(g, op);
    };
  }

  static boolean broadcastable(Subgraph g, Operator op) {
    long[] out = broadcast(g, op);
    for (int i = 0; out != null && i < op.inputs().length; i++) {
      int[] s = in(g, op, i);
      for (int k = 0; k < s.length; k++) {
        long o = out[out.length - s.length + k];
        if (s[k] != o && s[k] != 1) {
          return false;
        }
      }
    }
    return out != null;
  }

  static boolean concatenable(Subgraph g, Operator op) {
    long[] out = concat(g, op);
    if (out == null) {
      return false;
    }
    int axis = ((OpOptions.Concatenation) op.options()).axis();
    axis = axis < 0 ? axis + out.length : axis;
    for (int i = 0; i < op.inputs().length; i++) {
      int[] s = in(g, op, i);
      for (int k = 0; k < s.length; k++) {
        if (k != axis && s[k] != out[k]) {
          return false;
        }
      }
    }
    return true;
  }

  static int[] in(Subgraph g, Operator op, int slot) {
    return slot < op.inputs().length && op.inputs()[slot] >= 0 ? g.tensor(op.inputs()[slot]).shape() : null;
  }

  /** A constant INT32/INT64 input's values, or null (absent, computed at run time, malformed, too long). */
  static long[] ints(TfliteModel model, Subgraph g, Operator op, int slot) {
    if (slot >= op.inputs().length || op.inputs()[slot] < 0) {
      return null;
    }
    TensorInfo t = g.tensor(op.inputs()[slot]);
    if (!model.isConstant(t) || t.sparsity() != null
        || (t.type() != TensorType.INT32 && t.type() != TensorType.INT64)) {
      return null;
    }
    long n = 1;
    for (int d : t.shape()) {
      n *= d;
    }
    long want = n * t.type().dtype().byteSize();
    if (n > MAX_VALUES || want != model.bufferData(t.buffer()).remaining()) {
      return null;
    }
    long[] v = model.constant(t).toLongArray();
    for (int i = 0; i < v.length; i++) {
      // no dimension or index is larger; keeps the sums and products below from overflowing
      v[i] = Math.max(Math.min(v[i], Integer.MAX_VALUE), Integer.MIN_VALUE);
    }
    return v;
  }

  private static long[] conv(Subgraph g, Operator op) {
    ConvGeometry c = ConvGeometry.of(g, op);
    if (c == null || c.p()[0] < 1 || c.p()[1] < 1) {
      return null;
    }
    // Output spatial extent is at most the input's (stride >= 1); channels come from the filter.
    long oh = c.padding() == Padding.VALID ? c.x()[1] : (c.x()[1] + (long) c.p()[0] - 1) / c.p()[0];
    long ow = c.padding() == Padding.VALID ? c.x()[2] : (c.x()[2] + (long) c.p()[1] - 1) / c.p()[1];
    return new long[] {c.x()[0], oh, ow, c.outChannels(op)};
  }

  private static long[] pad(TfliteModel model, Subgraph g, Operator op) {
    int[] x = in(g, op, 0);
    long[] p = ints(model, g, op, 1);
    if (x == null || p == null || p.length != 2L * x.length) {
      return null;
    }
    long[] out = new long[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = x[i] + Math.max(p[2 * i], 0) + Math.max(p[2 * i + 1], 0);
    }
    return out;
  }

  private static long[] tile(TfliteModel model, Subgraph g, Operator op) {
    int[] x = in(g, op, 0);
    long[] m = ints(model, g, op, 1);
    if (x == null || m == null || m.length != x.length) {
      return null;
    }
    long[] out = new long[x.length];
    for (int i = 0; i < x.length; i++) {
      out[i] = m[i] < 0 ? -1 : x[i] * m[i];
    }
    return out;
  }

  /** The output shape is the constant's values (BROADCAST_TO shape, FILL dims, TRANSPOSE_CONV output_shape). */
  private static long[] values(TfliteModel model, Subgraph g, Operator op, int slot) {
    return ints(model, g, op, slot);
  }

  private static long[] resize(TfliteModel model, Subgraph g, Operator op) {
    int[] x = in(g, op, 0);
    long[] size = ints(model, g, op, 1);
    return x == null || size == null || x.length != 4 || size.length != 2 ? null
        : new long[] {x[0], size[0], size[1], x[3]};
  }

  /** ONE_HOT: the indices' shape with depth inserted at the option's axis (one_hot.cc's ResizeOutputTensor). */
  private static long[] oneHot(TfliteModel model, Subgraph g, Operator op) {
    int[] x = in(g, op, 0);
    long[] depth = ints(model, g, op, 1);
    if (x == null || depth == null || depth.length != 1 || !(op.options() instanceof OpOptions.OneHot o)) {
      return null;
    }
    int axis = oneHotAxis(o, x.length);
    if (axis < 0) {
      return null;
    }
    long[] out = new long[x.length + 1];
    for (int i = 0; i < out.length; i++) {
      out[i] = i < axis ? x[i] : i == axis ? depth[0] : x[i - 1];
    }
    return out;
  }

  /** STRIDED_SLICE with constant begin, end and strides, by the port's own plan ({@link StridedSlicePlan}). */
  private static long[] stridedSlice(TfliteModel model, Subgraph g, Operator op) {
    int[] x = in(g, op, 0);
    long[] begin = ints(model, g, op, 1);
    long[] end = ints(model, g, op, 2);
    long[] strides = ints(model, g, op, 3);
    if (x == null || begin == null || end == null || strides == null
        || !(op.options() instanceof OpOptions.StridedSlice o) || end.length != begin.length
        || strides.length != begin.length) {
      return null;
    }
    try {
      return Arrays.stream(StridedSlicePlan.of(x, toInts(begin), toInts(end), toInts(strides), o).outShape())
          .asLongStream().toArray();
    } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
      // a stride of 0 (refused by PrepareRefusals), a shrunk axis of other than one element, too many axes, masks
      // that name more axes than there are: no exact shape to hold the file to
      return null;
    }
  }

  /** SLICE with constant begin and size ({@link SliceShape}). */
  private static long[] slice(TfliteModel model, Subgraph g, Operator op) {
    int[] x = in(g, op, 0);
    long[] begin = ints(model, g, op, 1);
    long[] size = ints(model, g, op, 2);
    if (x == null || begin == null || size == null) {
      return null;
    }
    try {
      return SliceShape.of(x, begin, size);
    } catch (IllegalArgumentException e) {
      return null; // refused by refusal
    }
  }

  /** A reduction over constant axes ({@link TfAxes}); null when an axis is out of range (PrepareRefusals). */
  private static long[] reduce(TfliteModel model, Subgraph g, Operator op) {
    int[] x = in(g, op, 0);
    long[] axes = ints(model, g, op, 1);
    if (x == null || axes == null) {
      return null;
    }
    try {
      return TfAxes.reducedShape(x, TfAxes.reduction(axes, x.length, IllegalArgumentException::new),
          op.options() instanceof OpOptions.Reducer r && r.keepDims());
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** Values of {@link #ints}, which are within int's range. */
  private static int[] toInts(long[] v) {
    return Arrays.stream(v).mapToInt(Math::toIntExact).toArray();
  }

  /** numpy broadcasting of every input's declared shape (SELECT_V2 has three). */
  static long[] broadcast(Subgraph g, Operator op) {
    int rank = 0;
    for (int i = 0; i < op.inputs().length; i++) {
      int[] s = in(g, op, i);
      if (s == null) {
        return null;
      }
      rank = Math.max(rank, s.length);
    }
    long[] out = new long[rank];
    Arrays.fill(out, 1);
    boolean[] empty = new boolean[rank];
    for (int i = 0; i < op.inputs().length; i++) {
      int[] s = in(g, op, i);
      for (int k = 0; k < s.length; k++) {
        int j = rank - s.length + k;
        out[j] = Math.max(out[j], s[k]);
        empty[j] |= s[k] == 0;
      }
    }
    for (int j = 0; j < rank; j++) {
      out[j] = empty[j] ? 0 : out[j];
    }
    return out;
  }

  /** The inputs' sizes summed along the axis (the others taken as the largest). */
  static long[] concat(Subgraph g, Operator op) {
    if (!(op.options() instanceof OpOptions.Concatenation o) || op.inputs().length == 0) {
      return null;
    }
    int[] first = in(g, op, 0);
    if (first == null) {
      return null;
    }
    int rank = first.length;
    int axis = o.axis() < 0 ? o.axis() + rank : o.axis();
    if (axis < 0 || axis >= rank) {
      return null;
    }
    long[] out = new long[rank];
    for (int i = 0; i < op.inputs().length; i++) {
      int[] s = in(g, op, i);
      if (s == null || s.length != rank) {
        return null;
      }
      for (int k = 0; k < rank; k++) {
        out[k] = k == axis ? out[k] + s[k] : Math.max(out[k], s[k]);
      }
    }
    return out;
  }
}
