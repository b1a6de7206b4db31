package dev.crossalign.tflite;

import dev.crossalign.CrossalignException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * What TFLite 2.20's builtin kernels assume of an operator's inputs and outputs, checked in Java before the interpreter
 * sees a model. TFLite's verifier checks the flatbuffer, not the graph: a required input given as -1 (the "optional
 * tensor absent" marker) makes a kernel dereference a null tensor in Prepare (SIGSEGV, the JVM dies), and a paddings or
 * begin/end tensor of the wrong rank makes it read past an array. Each op lists its input count, which slots may be
 * -1, its output count and the ranks and index dtypes its kernel reads without checking; a model that breaks one is
 * unusable input (exit 2), named by file, op, slot and what was expected.
 *
 * <p>Ops not in the table (LSTMs, control flow, hash tables, newer codes) are only range-checked by the reader.
 */
public final class OpInputChecks {
  private OpInputChecks() {}

  /** Outputs without an upper bound (SPLIT, UNPACK: as many as the op's options say). */
  private static final int MANY = Integer.MAX_VALUE;

  /** One property a kernel reads without checking; returns what was expected, or null when the op has it. */
  @FunctionalInterface
  private interface Rule {
    String violation(Operator op, Subgraph g);
  }

  /**
   * An op's signature as its kernel reads it.
   *
   * @param slots names of the input slots, in order (their count is the most inputs the kernel takes, unless
   *     variadic)
   * @param minInputs fewest inputs the kernel takes
   * @param optional bit i set when input slot i may be -1 (absent)
   * @param variadic any number of inputs from minInputs on, none of them absent (CONCATENATION, PACK, ADD_N)
   */
  private record Spec(
      List<String> slots, int minInputs, long optional, boolean variadic, int minOutputs, int maxOutputs,
      List<Rule> rules) {
    int maxInputs() {
      return variadic ? MANY : slots.size();
    }

    Spec with(Rule... more) {
      List<Rule> all = new ArrayList<>(rules);
      all.addAll(List.of(more));
      return new Spec(slots, minInputs, optional, variadic, minOutputs, maxOutputs, List.copyOf(all));
    }

    String slotName(int i) {
      return i < slots.size() ? slots.get(i) : slots.get(slots.size() - 1);
    }
  }

  private static final Map<BuiltinOp, Spec> SPECS = new EnumMap<>(BuiltinOp.class);

  static {
    for (BuiltinOp op : List.of(
        BuiltinOp.ABS, BuiltinOp.CEIL, BuiltinOp.COS, BuiltinOp.ELU, BuiltinOp.EXP,
        BuiltinOp.FLOOR, BuiltinOp.GELU, BuiltinOp.HARD_SWISH, BuiltinOp.L2_NORMALIZATION,
        BuiltinOp.LOCAL_RESPONSE_NORMALIZATION, BuiltinOp.LOG, BuiltinOp.LOGISTIC, BuiltinOp.LOG_SOFTMAX,
        BuiltinOp.LOGICAL_NOT, BuiltinOp.NEG, BuiltinOp.QUANTIZE, BuiltinOp.RELU, BuiltinOp.RELU6,
        BuiltinOp.RELU_N1_TO_1, BuiltinOp.RELU_0_TO_1, BuiltinOp.ROUND, BuiltinOp.RSQRT, BuiltinOp.SIN,
        BuiltinOp.SQRT, BuiltinOp.SQUARE, BuiltinOp.TANH, BuiltinOp.ZEROS_LIKE, BuiltinOp.SIGN, BuiltinOp.CAST,
        BuiltinOp.SHAPE, BuiltinOp.RANK, BuiltinOp.LEAKY_RELU, BuiltinOp.SOFTMAX, BuiltinOp.SQUEEZE)) {
      put(op, fixed(1, "input"));
    }
    for (BuiltinOp op : List.of(BuiltinOp.AVERAGE_POOL_2D, BuiltinOp.MAX_POOL_2D, BuiltinOp.L2_POOL_2D,
        BuiltinOp.DEPTH_TO_SPACE, BuiltinOp.SPACE_TO_DEPTH)) {
      put(op, fixed(1, "input").with(rank(0, 4)));
    }
    for (BuiltinOp op : List.of(
        BuiltinOp.ADD, BuiltinOp.SUB, BuiltinOp.MUL, BuiltinOp.DIV, BuiltinOp.MAXIMUM, BuiltinOp.MINIMUM,
        BuiltinOp.LESS, BuiltinOp.LESS_EQUAL, BuiltinOp.GREATER, BuiltinOp.GREATER_EQUAL, BuiltinOp.EQUAL,
        BuiltinOp.NOT_EQUAL, BuiltinOp.POW, BuiltinOp.FLOOR_DIV, BuiltinOp.FLOOR_MOD, BuiltinOp.SQUARED_DIFFERENCE,
        BuiltinOp.LOGICAL_AND, BuiltinOp.LOGICAL_OR, BuiltinOp.ATAN2)) {
      put(op, fixed(2, "x", "y"));
    }
    // XNNPACK's delegate unpacks fp16 weights behind a DEQUANTIZE at the output's declared shape, before the kernel's
    // Prepare would resize it: a larger one is read past the constant (SIGSEGV in DequantizeFloat16, the fuzz suite).
    put(BuiltinOp.DEQUANTIZE, fixed(1, "input").with(outputShapeOfInput()));
    // The same for DENSIFY, whose output TFLite also sizes from its input: the port folds both into weights and reads
    // their declared shapes (release fuzz case t941: a DEQUANTIZE output declared [1, 1048576, 3, 28] over a [1, 3, 3,
    // 28] kernel made the TorchScript port compute a 2 GiB tensor for 130 s).
    put(BuiltinOp.DENSIFY, fixed(1, "input").with(outputShapeOfInput()));
    put(BuiltinOp.PRELU, fixed(2, "input", "alpha"));
    put(BuiltinOp.BATCH_MATMUL, fixed(2, "x", "y").with(minRank(0, 2), minRank(1, 2)));
    put(BuiltinOp.GATHER, fixed(2, "params", "indices").with(indexType(1)));
    put(BuiltinOp.GATHER_ND, fixed(2, "params", "indices").with(indexType(1)));
    put(BuiltinOp.TILE, fixed(2, "input", "multiples").with(indexType(1), vectorOfInputRank(1)));
    put(BuiltinOp.EXPAND_DIMS, fixed(2, "input", "axis").with(indexType(1)));
    put(BuiltinOp.BROADCAST_TO, fixed(2, "input", "shape").with(indexType(1), rank(1, 1)));
    put(BuiltinOp.FILL, fixed(2, "dims", "value").with(indexType(0), rank(0, 1)));
    put(BuiltinOp.ARG_MAX, fixed(2, "input", "axis").with(indexType(1), maxRank(1, 1)));
    put(BuiltinOp.ARG_MIN, fixed(2, "input", "axis").with(indexType(1), maxRank(1, 1)));
    put(BuiltinOp.CUMSUM, fixed(2, "input", "axis").with(indexType(1)));
    put(BuiltinOp.REVERSE_V2, fixed(2, "input", "axis").with(indexType(1), rank(1, 1)));
    put(BuiltinOp.PAD, fixed(2, "input", "paddings").with(indexType(1), paddings(1)));
    put(BuiltinOp.MIRROR_PAD, fixed(2, "input", "paddings").with(indexType(1), paddings(1)));
    put(BuiltinOp.PADV2,
        new Spec(List.of("input", "paddings", "constant_values"), 2, 1L << 2, false, 1, 1, List.of())
            .with(indexType(1), paddings(1)));
    // One input: the shape comes from the options. Two: the shape tensor is read whenever it is a vector.
    put(BuiltinOp.RESHAPE, new Spec(List.of("input", "shape"), 1, 0, false, 1, 1, List.of()));
    for (BuiltinOp op : List.of(BuiltinOp.RESIZE_BILINEAR, BuiltinOp.RESIZE_NEAREST_NEIGHBOR)) {
      put(op, fixed(2, "input", "size").with(rank(0, 4), indexType(1), vectorOfLength(1, 2)));
    }
    put(BuiltinOp.TRANSPOSE, fixed(2, "input", "perm").with(indexType(1), vectorOfInputRank(1), maxRank(0, 6)));
    for (BuiltinOp op : List.of(BuiltinOp.MEAN, BuiltinOp.SUM, BuiltinOp.REDUCE_PROD, BuiltinOp.REDUCE_MAX,
        BuiltinOp.REDUCE_MIN, BuiltinOp.REDUCE_ANY, BuiltinOp.REDUCE_ALL)) {
      put(op, fixed(2, "input", "axis").with(indexType(1), maxRank(1, 1)));
    }
    put(BuiltinOp.SELECT, fixed(3, "condition", "x", "y"));
    put(BuiltinOp.SELECT_V2, fixed(3, "condition", "x", "y"));
    put(BuiltinOp.SLICE, fixed(3, "input", "begin", "size")
        .with(indexType(1), indexType(2), vectorOfInputRank(1), vectorOfInputRank(2), maxRank(0, 5)));
    put(BuiltinOp.RANGE, fixed(3, "start", "limit", "delta"));
    put(BuiltinOp.BATCH_TO_SPACE_ND, fixed(3, "input", "block_shape", "crops")
        .with(indexType(1), indexType(2), rank(1, 1), rank(2, 2)));
    put(BuiltinOp.SPACE_TO_BATCH_ND, fixed(3, "input", "block_shape", "paddings")
        .with(indexType(1), indexType(2), rank(1, 1), rank(2, 2)));
    // begin, end and strides hold one entry per sliced axis, which ellipsis_mask and new_axis_mask let differ from
    // the input's rank: one length for the three, which the kernel reads
    put(BuiltinOp.STRIDED_SLICE, fixed(4, "input", "begin", "end", "strides")
        .with(indexType(1), indexType(2), indexType(3), rank(1, 1), rank(2, 1), rank(3, 1), sameLength(1, 2),
            sameLength(1, 3), maxRank(0, 5)));
    put(BuiltinOp.ONE_HOT, fixed(4, "indices", "depth", "on_value", "off_value").with(indexType(0), indexType(1)));
    put(BuiltinOp.CONV_2D,
        new Spec(List.of("input", "filter", "bias"), 2, 1L << 2, false, 1, 1, List.of())
            .with(rank(0, 4), rank(1, 4), rank(2, 1)));
    put(BuiltinOp.DEPTHWISE_CONV_2D,
        new Spec(List.of("input", "filter", "bias"), 2, 1L << 2, false, 1, 1, List.of())
            .with(rank(0, 4), rank(1, 4), rank(2, 1)));
    // A second output holds shuffled weights (the shuffled-uint8 weights format).
    put(BuiltinOp.FULLY_CONNECTED,
        new Spec(List.of("input", "weights", "bias"), 2, 1L << 2, false, 1, 2, List.of())
            .with(rank(1, 2), maxRank(2, 1)));
    put(BuiltinOp.TRANSPOSE_CONV,
        new Spec(List.of("output_shape", "weights", "input", "bias"), 3, 1L << 3, false, 1, 1, List.of())
            .with(indexType(0), vectorOfLength(0, 4), rank(1, 4), rank(2, 4), rank(3, 1)));
    put(BuiltinOp.SPLIT, new Spec(List.of("axis", "input"), 2, 0, false, 1, MANY, List.of())
        .with(indexType(0), maxRank(0, 1)));
    put(BuiltinOp.SPLIT_V, new Spec(List.of("input", "size_splits", "axis"), 3, 0, false, 1, MANY, List.of())
        .with(indexType(1), indexType(2), rank(1, 1), maxRank(2, 1)));
    put(BuiltinOp.UNPACK, new Spec(List.of("input"), 1, 0, false, 1, MANY, List.of()));
    put(BuiltinOp.TOPK_V2, new Spec(List.of("input", "k"), 2, 0, false, 2, 2, List.of()).with(indexType(1)));
    put(BuiltinOp.UNIQUE, new Spec(List.of("input"), 1, 0, false, 2, 2, List.of()).with(rank(0, 1)));
    for (BuiltinOp op : List.of(BuiltinOp.CONCATENATION, BuiltinOp.PACK, BuiltinOp.ADD_N)) {
      put(op, new Spec(List.of("input"), 1, 0, true, 1, 1, List.of()));
    }
  }

  private static void put(BuiltinOp op, Spec spec) {
    SPECS.put(op, spec);
  }

  private static Spec fixed(int n, String... names) {
    if (names.length != n) {
      throw new IllegalArgumentException(n + " slots, " + names.length + " names");
    }
    return new Spec(List.of(names), n, 0, false, 1, 1, List.of());
  }

  /**
   * Refuses the first operator, in any subgraph, whose inputs or outputs break what its TFLite kernel assumes.
   *
   * @throws CrossalignException INPUT naming the model, op index and name, slot and what was expected
   */
  public static void check(TfliteModel model) {
    List<Subgraph> subgraphs = model.subgraphs();
    for (int s = 0; s < subgraphs.size(); s++) {
      Subgraph g = subgraphs.get(s);
      boolean[] available = new boolean[g.tensors().size()];
      for (int i : g.inputs()) {
        available[i] = true;
      }
      for (TensorInfo t : g.tensors()) {
        available[t.index()] |= t.isVariable() || model.isConstant(t);
      }
      for (Operator op : g.operators()) {
        String v = violation(op, g);
        if (v == null) {
          v = dataflowViolation(model, op, g, available);
        }
        if (v != null) {
          String where = (s == 0 ? "" : "subgraph " + s + " ") + "op #" + op.index() + " " + op.opName();
          throw CrossalignException.input("model " + model.label() + ": " + where + " " + v);
        }
      }
    }
  }

  /**
   * The graph must be in execution order: TFLite runs ops in the order of the file and does not check it. An input
   * that no earlier op wrote (a later op's output, the op's own output) has no memory yet when the kernel reads it
   * (SIGSEGV in Invoke), and an output that is a constant would be written over read-only weights. Marks the op's
   * outputs as written.
   */
  private static String dataflowViolation(TfliteModel model, Operator op, Subgraph g, boolean[] available) {
    for (int i = 0; i < op.inputs().length; i++) {
      int t = op.inputs()[i];
      // a tensor of no elements has nothing to read (an empty constant has no buffer bytes: an empty axis list)
      if (t >= 0 && !available[t] && Arrays.stream(g.tensor(t).shape()).noneMatch(d -> d == 0)) {
        return "input " + i + inputSlotName(op, i) + " is tensor " + t + " '" + printable(g.tensor(t).name())
            + "', which is not a graph input, not a constant and not written by an earlier op";
      }
    }
    for (int j = 0; j < op.outputs().length; j++) {
      int t = op.outputs()[j];
      TensorInfo ti = g.tensor(t);
      if (model.isConstant(ti)) {
        return "output " + j + " is tensor " + t + " '" + printable(ti.name()) + "', a constant (an op may not"
            + " write over weights)";
      }
      if (available[t] && !ti.isVariable()) {
        return "output " + j + " is tensor " + t + " '" + printable(ti.name()) + "', which is a graph input or"
            + " already written by an earlier op";
      }
    }
    for (int t : op.outputs()) {
      available[t] = true;
    }
    return null;
  }

  private static String inputSlotName(Operator op, int i) {
    Spec spec = op.builtin() == null ? null : SPECS.get(op.builtin());
    return spec == null ? "" : " (" + spec.slotName(i) + ")";
  }

  /** A tensor name for a one-line message: control characters as '?', at most 80 characters. */
  static String printable(String s) {
    String n = s == null ? "" : s.replaceAll("\\p{Cntrl}", "?");
    return n.length() > 80 ? n.substring(0, 80) + "..." : n;
  }

  /** What is wrong with one operator, or null. Package-private for tests. */
  static String violation(Operator op, Subgraph g) {
    if (op.isCustom()) {
      return CustomOpChecks.violation(op, g);
    }
    Spec spec = op.builtin() == null ? null : SPECS.get(op.builtin());
    if (spec == null) {
      return null;
    }
    int[] in = op.inputs();
    if (in.length < spec.minInputs() || in.length > spec.maxInputs()) {
      return "has " + in.length + " inputs, its TFLite kernel takes " + countText(spec.minInputs(), spec.maxInputs())
          + " " + spec.slots();
    }
    for (int i = 0; i < in.length; i++) {
      if (in[i] == -1 && (i >= 64 || (spec.optional() & (1L << i)) == 0)) {
        return "input " + i + " (" + spec.slotName(i) + ") is absent (-1), TFLite requires it";
      }
    }
    int nOut = op.outputs().length;
    if (nOut < spec.minOutputs() || nOut > spec.maxOutputs()) {
      return "has " + nOut + " outputs, its TFLite kernel writes " + countText(spec.minOutputs(), spec.maxOutputs());
    }
    for (Rule r : spec.rules()) {
      String v = r.violation(op, g);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static String countText(int min, int max) {
    return min == max ? Integer.toString(min) : max == MANY ? min + " or more" : min + " to " + max;
  }

  // --- rules -------------------------------------------------------------------------------------------------

  /** The tensor at an input slot, or null when the op has no such input or it is absent. */
  private static TensorInfo at(Operator op, Subgraph g, int slot) {
    return slot < op.inputs().length && op.inputs()[slot] >= 0 ? g.tensor(op.inputs()[slot]) : null;
  }

  private static String slotText(Operator op, int slot) {
    Spec spec = SPECS.get(op.builtin());
    return "input " + slot + " (" + spec.slotName(slot) + ")";
  }

  private static Rule rank(int slot, int rank) {
    return (op, g) -> {
      TensorInfo t = at(op, g, slot);
      return t == null || t.shape().length == rank ? null
          : slotText(op, slot) + " has shape " + Arrays.toString(t.shape()) + ", expected " + rank + "-D";
    };
  }

  private static Rule maxRank(int slot, int max) {
    return (op, g) -> {
      TensorInfo t = at(op, g, slot);
      return t == null || t.shape().length <= max ? null
          : slotText(op, slot) + " has shape " + Arrays.toString(t.shape()) + ", expected at most " + max + "-D";
    };
  }

  private static Rule minRank(int slot, int min) {
    return (op, g) -> {
      TensorInfo t = at(op, g, slot);
      return t == null || t.shape().length >= min ? null
          : slotText(op, slot) + " has shape " + Arrays.toString(t.shape()) + ", expected at least " + min + "-D";
    };
  }

  /** An index tensor the kernel reads as int32 or int64 data. */
  private static Rule indexType(int slot) {
    return (op, g) -> {
      TensorInfo t = at(op, g, slot);
      return t == null || t.type() == TensorType.INT32 || t.type() == TensorType.INT64 ? null
          : slotText(op, slot) + " is " + (t.type() == null ? "type code " + t.typeCode() : t.type().name())
              + ", expected INT32 or INT64";
    };
  }

  /** Output 0, when the file declares its shape, has input 0's shape (an elementwise op). */
  private static Rule outputShapeOfInput() {
    return (op, g) -> {
      TensorInfo x = at(op, g, 0);
      if (x == null || op.outputs().length == 0 || op.outputs()[0] < 0) {
        return null;
      }
      int[] y = g.tensor(op.outputs()[0]).shape();
      return y.length == 0 || Arrays.equals(y, x.shape()) ? null
          : "output 0 has shape " + Arrays.toString(y) + ", input 0 (input) " + Arrays.toString(x.shape())
              + ": expected the same";
    };
  }

  /** A 1-D tensor with one entry per axis of input 0 (SLICE's begin and size, perm, multiples). */
  private static Rule vectorOfInputRank(int slot) {
    return (op, g) -> {
      TensorInfo t = at(op, g, slot);
      TensorInfo x = at(op, g, 0);
      if (t == null || x == null) {
        return null;
      }
      int r = x.shape().length;
      return t.shape().length == 1 && t.shape()[0] == r ? null
          : slotText(op, slot) + " has shape " + Arrays.toString(t.shape()) + ", expected [" + r + "] (one entry per"
              + " axis of input 0, shape " + Arrays.toString(x.shape()) + ")";
    };
  }

  /** Two 1-D tensors of the same length (begin and end, begin and strides). */
  private static Rule sameLength(int slot, int other) {
    return (op, g) -> {
      TensorInfo t = at(op, g, other);
      TensorInfo first = at(op, g, slot);
      if (t == null || first == null || t.shape().length != 1 || first.shape().length != 1) {
        return null;
      }
      return t.shape()[0] == first.shape()[0] ? null
          : slotText(op, other) + " has shape " + Arrays.toString(t.shape()) + ", expected "
              + Arrays.toString(first.shape()) + " as " + slotText(op, slot);
    };
  }

  private static Rule vectorOfLength(int slot, int n) {
    return (op, g) -> {
      TensorInfo t = at(op, g, slot);
      return t == null || t.shape().length == 1 && t.shape()[0] == n ? null
          : slotText(op, slot) + " has shape " + Arrays.toString(t.shape()) + ", expected [" + n + "]";
    };
  }

  /** Paddings of shape [rank(input 0), 2]. */
  private static Rule paddings(int slot) {
    return (op, g) -> {
      TensorInfo t = at(op, g, slot);
      TensorInfo x = at(op, g, 0);
      if (t == null || x == null) {
        return null;
      }
      int r = x.shape().length;
      return t.shape().length == 2 && t.shape()[0] == r && t.shape()[1] == 2 ? null
          : slotText(op, slot) + " has shape " + Arrays.toString(t.shape()) + ", expected [" + r + ", 2] (input 0"
              + " has shape " + Arrays.toString(x.shape()) + ")";
    };
  }
}
