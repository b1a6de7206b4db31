package dev.crossalign.tflite;

import java.util.Arrays;

/**
 * The op inputs that TFLite's Prepare refuses, for the ops whose output shape {@link DerivedShapes} derives: checked
 * when the model is read ({@link TensorSizes}), so that every command refuses them alike (exit 2) instead of validate
 * refusing them when TFLite prepares the model and convert writing, or failing to write, what TFLite cannot run.
 */
final class PrepareRefusals {
  private PrepareRefusals() {}

  /**
   * Why TFLite's Prepare refuses this op for its declared input shapes and constant values, for the ops of
   * {@link DerivedShapes#exact}: a negative padding or multiple, a resize to a size below 1, a conv stride below 1 or
   * input channels the filter's do not divide, a STRIDED_SLICE stride of 0, a SLICE size below -1 or past the axis, a
   * ONE_HOT axis out of range or negative depth, a RESHAPE to another number of elements, a reduction axis out of
   * range, inputs that do not broadcast, a concatenation whose other dimensions disagree. Null when TFLite accepts it, or when the inputs do not say (a value computed at run time).
   */
  static String of(TfliteModel model, Subgraph g, Operator op) {
    return switch (op.builtin()) {
      case PAD, PADV2, MIRROR_PAD, TILE -> {
        long[] v = DerivedShapes.ints(model, g, op, 1);
        yield v == null || Arrays.stream(v).allMatch(x -> x >= 0) ? null
            : constantText(g, op, 1) + " holds " + Arrays.toString(v) + ": TFLite's kernel takes no negative "
                + (op.builtin() == BuiltinOp.TILE ? "multiple" : "padding");
      }
      case RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR -> {
        long[] v = DerivedShapes.ints(model, g, op, 1);
        yield v == null || Arrays.stream(v).allMatch(x -> x > 0) ? null
            : constantText(g, op, 1) + " holds " + Arrays.toString(v) + ": TFLite's kernel takes sizes of 1 or more";
      }
      case CONV_2D, DEPTHWISE_CONV_2D -> {
        DerivedShapes.ConvGeometry c = DerivedShapes.ConvGeometry.of(g, op);
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
      case STRIDED_SLICE -> {
        long[] v = DerivedShapes.ints(model, g, op, 3);
        yield v == null || Arrays.stream(v).noneMatch(x -> x == 0) ? null
            : constantText(g, op, 3) + " holds strides " + Arrays.toString(v) + ": TFLite's kernel takes no stride of 0";
      }
      case SLICE -> sliceRefusal(model, g, op);
      case ONE_HOT -> oneHotRefusal(model, g, op);
      case RESHAPE -> reshapeRefusal(model, g, op);
      case MEAN, SUM, REDUCE_PROD, REDUCE_MAX, REDUCE_MIN, REDUCE_ANY, REDUCE_ALL -> reduceRefusal(model, g, op);
      case CONCATENATION -> DerivedShapes.concat(g, op) == null || DerivedShapes.concatenable(g, op) ? null
          : "inputs " + shapesText(g, op) + " differ outside axis "
              + ((OpOptions.Concatenation) op.options()).axis() + ": TFLite's kernel refuses them";
      case ADD, SUB, MUL, DIV, MAXIMUM, MINIMUM, POW, SQUARED_DIFFERENCE, FLOOR_DIV, FLOOR_MOD, LESS, LESS_EQUAL,
          GREATER, GREATER_EQUAL, EQUAL, NOT_EQUAL, LOGICAL_AND, LOGICAL_OR, ATAN2, SELECT_V2 ->
          DerivedShapes.broadcast(g, op) == null || DerivedShapes.broadcastable(g, op) ? null
              : "inputs " + shapesText(g, op) + " do not broadcast: TFLite's kernel refuses them";
      default -> null;
    };
  }

  private static String sliceRefusal(TfliteModel model, Subgraph g, Operator op) {
    int[] x = DerivedShapes.in(g, op, 0);
    long[] begin = DerivedShapes.ints(model, g, op, 1);
    long[] size = DerivedShapes.ints(model, g, op, 2);
    if (x != null && begin != null && size != null) {
      try {
        SliceShape.of(x, begin, size);
      } catch (IllegalArgumentException e) {
        return constantText(g, op, 1) + " and " + constantText(g, op, 2) + ": " + e.getMessage()
            + ": TFLite's kernel refuses them";
      }
    }
    return null;
  }

  private static String reduceRefusal(TfliteModel model, Subgraph g, Operator op) {
    int[] x = DerivedShapes.in(g, op, 0);
    long[] axes = DerivedShapes.ints(model, g, op, 1);
    if (x != null && axes != null) {
      try {
        TfAxes.reduction(axes, x.length, IllegalArgumentException::new);
      } catch (IllegalArgumentException e) {
        return constantText(g, op, 1) + " holds axes " + Arrays.toString(axes) + ": " + e.getMessage()
            + " (input 0 " + Arrays.toString(x) + "): TFLite's kernel refuses it";
      }
    }
    return null;
  }

  private static String oneHotRefusal(TfliteModel model, Subgraph g, Operator op) {
    int[] x = DerivedShapes.in(g, op, 0);
    long[] depth = DerivedShapes.ints(model, g, op, 1);
    if (x != null && op.options() instanceof OpOptions.OneHot o && DerivedShapes.oneHotAxis(o, x.length) < 0) {
      return "has axis " + o.axis() + ": TFLite's kernel takes -1 or 0 to " + x.length + " (input 0 has shape "
          + Arrays.toString(x) + ")";
    }
    return depth == null || depth.length != 1 || depth[0] >= 0 ? null
        : constantText(g, op, 1) + " holds depth " + depth[0] + ": TFLite's kernel takes 0 or more";
  }

  /**
   * RESHAPE to a constant INT32 shape vector (reshape.cc reads it, not the options, then): at most one -1, and the
   * elements must be the input's (a -1 taking what the others leave; a 0 beside a -1 would divide by zero).
   */
  private static String reshapeRefusal(TfliteModel model, Subgraph g, Operator op) {
    int[] x = DerivedShapes.in(g, op, 0);
    long[] v = DerivedShapes.ints(model, g, op, 1);
    int[] vs = DerivedShapes.in(g, op, 1);
    if (x == null || v == null || vs.length != 1 || g.tensor(op.inputs()[1]).type() != TensorType.INT32
        || Arrays.stream(x).anyMatch(d -> d < 0)) {
      return null;
    }
    long n = 1;
    for (int d : x) {
      n *= d;
    }
    long known = 1;
    int stretch = 0;
    for (long d : v) {
      if (d == -1) {
        stretch++;
      } else {
        known = d < 0 ? -1 : Math.min(known * d, Long.MAX_VALUE / Integer.MAX_VALUE);
      }
    }
    boolean ok = stretch == 0 ? known == n : stretch == 1 && (known > 0 ? n % known == 0 : n == 0 && known == 0);
    return ok ? null : constantText(g, op, 1) + " holds shape " + Arrays.toString(v) + ", input 0 " + Arrays.toString(x)
        + " has " + n + " elements: TFLite's kernel refuses it";
  }

  private static String constantText(Subgraph g, Operator op, int slot) {
    TensorInfo t = g.tensor(op.inputs()[slot]);
    return "input " + slot + " (tensor " + t.index() + " '" + OpInputChecks.printable(t.name()) + "')";
  }

  private static String shapesText(Subgraph g, Operator op) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < op.inputs().length; i++) {
      b.append(i == 0 ? "" : ", ").append(Arrays.toString(DerivedShapes.in(g, op, i)));
    }
    return b.toString();
  }
}
