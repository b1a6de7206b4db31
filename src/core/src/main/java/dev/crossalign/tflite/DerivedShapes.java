package dev.crossalign.tflite;

import java.util.Arrays;

/**
 * The output shape an op's kernel derives from its inputs' declared shapes and constant values, for the ops whose
 * output can be larger than any of their inputs (what {@link TensorSizes} bounds). Null when this op is not one of
 * them or its inputs do not say (a shape tensor computed at run time, a malformed op the per-op checks refuse).
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
      case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, POW, SQUARED_DIFFERENCE, FLOOR_DIV, FLOOR_MOD, LESS, LESS_EQUAL,
          GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL, LOGICAL_AND, LOGICAL_OR, ATAN2, SELECT_V2 -> broadcast(g, op);
      case CONCATENATION -> concat(g, op);
      default -> null;
    };
  }

  /**
   * The output shape TFLite's Prepare gives this op, for the ops of {@link #of} whose derivation is exact (all but
   * ONE_HOT, whose axis this does not read), when the inputs make a valid one (no negative padding, multiple or size,
   * broadcastable shapes, a concatenation whose other axes agree); null otherwise.
   */
  static long[] exact(TfliteModel model, Subgraph g, Operator op) {
    long[] s = switch (op.builtin()) {
      case CONV_2D, DEPTHWISE_CONV_2D -> convExact(g, op);
      case ONE_HOT -> null;
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
  private record ConvGeometry(int[] x, int[] w, Padding padding, int[] p, boolean channelsOk) {
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

  /**
   * Why TFLite's Prepare refuses this op for its declared input shapes and constant values, for the ops of
   * {@link #exact}: a negative padding or multiple, a resize to a size below 1, a conv stride below 1 or input channels
   * the filter's do not divide, inputs that do not broadcast, a concatenation whose axis or other dimensions disagree.
   * Null when TFLite accepts it, or when the inputs do not say (a value computed at run time).
   */
  static String refusal(TfliteModel model, Subgraph g, Operator op) {
    return switch (op.builtin()) {
      case PAD, PADV2, MIRROR_PAD, TILE -> {
        long[] v = ints(model, g, op, 1);
        yield v == null || Arrays.stream(v).allMatch(x -> x >= 0) ? null
            : constantText(g, op, 1) + " holds " + Arrays.toString(v) + ": TFLite's kernel takes no negative "
                + (op.builtin() == BuiltinOp.TILE ? "multiple" : "padding");
      }
      case RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR -> {
        long[] v = ints(model, g, op, 1);
        yield v == null || Arrays.stream(v).allMatch(x -> x > 0) ? null
            : constantText(g, op, 1) + " holds " + Arrays.toString(v) + ": TFLite's kernel takes sizes of 1 or more";
      }
      case CONV_2D, DEPTHWISE_CONV_2D -> {
        ConvGeometry c = ConvGeometry.of(g, op);
        if (c == null) {
          yield null;
        }
        if (c.p()[0] < 1 || c.p()[1] < 1) {
          yield "has stride_h " + c.p()[0] + " and stride_w " + c.p()[1] + ": TFLite's kernel takes strides of 1 or"
              + " more";
        }
        yield op.builtin() == BuiltinOp.CONV_2D && (c.w()[3] < 1 || c.x()[3] % c.w()[3] != 0)
            ? "input 0 has " + c.x()[3] + " channels, the filter (input 1) takes " + c.w()[3] + ": TFLite's kernel"
                + " needs a whole number of groups"
            : null;
      }
      case CONCATENATION -> concat(g, op) == null || concatenable(g, op) ? null
          : "inputs " + shapesText(g, op) + " differ outside axis "
              + ((OpOptions.Concatenation) op.options()).axis() + ": TFLite's kernel refuses them";
      case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, POW, SQUARED_DIFFERENCE, FLOOR_DIV, FLOOR_MOD, LESS, LESS_EQUAL,
          GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL, LOGICAL_AND, LOGICAL_OR, ATAN2, SELECT_V2 ->
          broadcast(g, op) == null || broadcastable(g, op) ? null
              : "inputs " + shapesText(g, op) + " do not broadcast: TFLite's kernel refuses them";
      default -> null;
    };
  }

  private static String constantText(Subgraph g, Operator op, int slot) {
    TensorInfo t = g.tensor(op.inputs()[slot]);
    return "input " + slot + " (tensor " + t.index() + " '" + OpInputChecks.printable(t.name()) + "')";
  }

  private static String shapesText(Subgraph g, Operator op) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < op.inputs().length; i++) {
      b.append(i == 0 ? "" : ", ").append(Arrays.toString(in(g, op, i)));
    }
    return b.toString();
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
      case BROADCAST_TO, FILL, TRANSPOSE_CONV, CONV_2D, DEPTHWISE_CONV_2D -> true;
      default -> broadcastable(g, op);
    };
  }

  private static boolean broadcastable(Subgraph g, Operator op) {
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

  private static boolean concatenable(Subgraph g, Operator op) {
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

  private static int[] in(Subgraph g, Operator op, int slot) {
    return slot < op.inputs().length && op.inputs()[slot] >= 0 ? g.tensor(op.inputs()[slot]).shape() : null;
  }

  /** A constant INT32/INT64 input's values, or null (absent, computed at run time, malformed, too long). */
  private static long[] ints(TfliteModel model, Subgraph g, Operator op, int slot) {
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
      // no dimension is larger; keeps the sums and products below from overflowing
      v[i] = Math.min(v[i], Integer.MAX_VALUE);
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

  private static long[] oneHot(TfliteModel model, Subgraph g, Operator op) {
    int[] x = in(g, op, 0);
    long[] depth = ints(model, g, op, 1);
    if (x == null || depth == null || depth.length != 1) {
      return null;
    }
    long[] out = Arrays.copyOf(Arrays.stream(x).asLongStream().toArray(), x.length + 1);
    out[x.length] = depth[0];
    return out;
  }

  /** numpy broadcasting of every input's declared shape (SELECT_V2 has three). */
  private static long[] broadcast(Subgraph g, Operator op) {
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
  private static long[] concat(Subgraph g, Operator op) {
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
