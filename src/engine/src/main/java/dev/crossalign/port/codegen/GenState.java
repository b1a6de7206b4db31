package dev.crossalign.port.codegen;

import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import dev.crossalign.tflite.WeightFolding;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Mutable state of one generation ({@link PyGenerator}): Python names (variables, temporaries, weights) kept unique
 * and clear of Python's keywords and nn.Module's attributes, the weights registered so far, the constant value of
 * each tensor with the weight-storage ops (DEQUANTIZE, DENSIFY and reshapes of their results) folded to float32, and
 * the lines of the op being written ({@link PyOp} writes into it).
 */
final class GenState {
  private static final Set<String> RESERVED = Set.of(
      "self", "capture", "cap", "torch", "F", "nn", "Tensor", "Dict", "List", "Optional", "Tuple", "and", "as",
      "assert", "break", "class", "continue", "def", "del", "elif", "else", "except", "finally", "for", "from",
      "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try",
      "while", "with", "yield", "None", "True", "False", "async", "await",
      // nn.Module's own attributes (torch 1.13 to 2.x): a weight named 'half' or 'to' cannot be registered
      "T_destination", "add_module", "apply", "bfloat16", "buffers", "children", "compile", "cpu", "cuda", "double",
      "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
      "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children",
      "named_modules", "named_parameters", "parameters", "register_backward_hook", "register_buffer",
      "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
      "register_full_backward_pre_hook", "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
      "register_module", "register_parameter", "register_state_dict_post_hook", "register_state_dict_pre_hook",
      "requires_grad_", "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train",
      "training", "type", "xpu", "zero_grad", "call_super_init");

  final TfliteModel model;
  final Subgraph graph;
  final Map<Integer, HostTensor> folded = new HashMap<>();
  /**
   * How each value of {@link #folded} is made from the model's buffers: the values are made by these, and {@link
   * FoldedOutputs} makes them again when asked for instead of keeping them.
   */
  final Map<Integer, Supplier<HostTensor>> recipes = new HashMap<>();
  final Map<Integer, String> vars = new HashMap<>();
  final Set<Integer> defined = new HashSet<>();
  final Set<String> used = new HashSet<>(RESERVED);
  final Map<String, PyWeight> weights = new LinkedHashMap<>();
  final Map<String, String> weightByKey = new HashMap<>();
  final Set<Integer> producedByOp = new HashSet<>();
  final List<String> lines = new ArrayList<>();
  final List<OpCode> ops = new ArrayList<>();
  final boolean clampOverflow;
  private int temps;

  GenState(TfliteModel model, boolean clampOverflow) {
    this.model = model;
    this.clampOverflow = clampOverflow;
    this.graph = model.main();
    for (Operator op : graph.operators()) {
      for (int o : op.outputs()) {
        producedByOp.add(o);
      }
    }
    for (int i : graph.inputs()) {
      defined.add(i);
    }
  }

  /** The op just written ({@link #lines}) with the variables of its run-time inputs and its outputs. */
  OpCode opCode(Operator op) {
    List<OpCode.Value> ins = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    for (int in : op.inputs()) {
      if (in >= 0 && constant(in) == null && seen.add(in)) {
        ins.add(new OpCode.Value(in, var(in), graph.tensor(in).shape().length));
      }
    }
    List<OpCode.Value> outs = new ArrayList<>();
    for (int o : op.outputs()) {
      if (o >= 0) {
        outs.add(new OpCode.Value(o, var(o), graph.tensor(o).shape().length));
      }
    }
    return new OpCode(op.index(), op.opName(), ins, outs, lines);
  }

  String unique(String base) {
    String n = base;
    for (int i = 2; !used.add(n); i++) {
      n = base + "_" + i;
    }
    return n;
  }

  String var(int tensor) {
    return vars.computeIfAbsent(tensor, t -> unique(Py.identifier(graph.tensor(t).name(), 32) + "_" + t));
  }

  String temp(String hint) {
    return unique(hint + "_" + (temps++));
  }

  /** Constant value in TFLite axes (float types as float32), or null for a run-time tensor. */
  HostTensor constant(int idx) {
    HostTensor f = folded.get(idx);
    if (f != null) {
      return f;
    }
    TensorInfo t = graph.tensor(idx);
    if (producedByOp.contains(idx) || defined.contains(idx)) {
      return null;
    }
    if (t.type() == null || t.type().dtype() == null || t.sparsity() != null) {
      return null;
    }
    if (HostTensor.numel(t.shape()) != 0 && !model.isConstant(t)) {
      return null;
    }
    return fold(idx, () -> bufferConstant(model, t));
  }

  /** A buffer constant's value (an empty one for a tensor of no elements), float16 as float32. */
  private static HostTensor bufferConstant(TfliteModel model, TensorInfo t) {
    HostTensor c = HostTensor.numel(t.shape()) == 0
        ? HostTensor.of(t.type().dtype(), t.shape(), Layout.ANY, ByteBuffer.allocate(0)) : model.constant(t);
    return c.dtype() == DType.FLOAT16 ? c.toFloat32() : c;
  }

  /** Makes tensor {@code idx}'s value by {@code recipe} and keeps both (the recipe for {@link FoldedOutputs}). */
  private HostTensor fold(int idx, Supplier<HostTensor> recipe) {
    HostTensor value = recipe.get();
    folded.put(idx, value);
    recipes.put(idx, recipe);
    return value;
  }

  /** Folds the weight-storage ops; true when {@code op} was folded into a constant. */
  boolean tryFold(Operator op) {
    if (op.builtin() == null || op.outputs().length != 1 || op.inputs().length < 1 || op.inputs()[0] < 0) {
      return false;
    }
    int in = op.inputs()[0];
    TensorInfo t = graph.tensor(in);
    try {
      Supplier<HostTensor> made = foldRecipe(op, in, t);
      if (made == null) {
        return false;
      }
      fold(op.outputs()[0], () -> {
        HostTensor v = made.get();
        return v.dtype() == DType.FLOAT16 ? v.toFloat32() : v;
      });
    } catch (IllegalArgumentException e) {
      return false; // the op's own lowering then says why it cannot be generated
    }
    return true;
  }

  /**
   * How {@code op} (reading {@code in}, described by {@code t}) makes its output from the model's buffers, or null
   * when it cannot be folded. The recipe reads the model and the recipes of folded inputs, never a kept value.
   */
  private Supplier<HostTensor> foldRecipe(Operator op, int in, TensorInfo t) {
    TfliteModel m = model;
    if (op.builtin() == BuiltinOp.DEQUANTIZE) {
      if (producedByOp.contains(in) && !folded.containsKey(in)) {
        return null;
      }
      if (!folded.containsKey(in) && rawConstant(m, t) == null) {
        return null;
      }
      Supplier<HostTensor> raw = folded.containsKey(in) ? recipes.get(in) : () -> rawConstant(m, t);
      return () -> WeightFolding.dequantize(t, raw.get());
    }
    if (op.builtin() == BuiltinOp.DENSIFY) {
      if (t.sparsity() == null || !model.isConstant(t)) {
        return null;
      }
      TensorInfo out = graph.tensor(op.outputs()[0]);
      return () -> {
        HostTensor v = WeightFolding.densify(m, t);
        return v.dtype() == DType.FLOAT16 && !out.type().name().equals("FLOAT16") ? v.toFloat32() : v;
      };
    }
    if (op.builtin() == BuiltinOp.RESHAPE || op.builtin() == BuiltinOp.SQUEEZE
        || op.builtin() == BuiltinOp.EXPAND_DIMS) {
      if (!folded.containsKey(in) || !producedByOp.contains(in)) {
        return null; // only reshapes of folded weights; a buffer constant's reshape is generated as code
      }
      int[] shape = graph.tensor(op.outputs()[0]).shape();
      if (HostTensor.numel(shape) != folded.get(in).numel()) {
        return null;
      }
      Supplier<HostTensor> from = recipes.get(in);
      return () -> from.get().reshape(shape);
    }
    return null;
  }

  /** The stored bytes of a buffer constant in its own dtype (quantized stays raw), or null. */
  private static HostTensor rawConstant(TfliteModel model, TensorInfo t) {
    if (t.type() == null || t.type().dtype() == null || t.sparsity() != null || !model.isConstant(t)) {
      return null;
    }
    return model.constant(t);
  }

  String register(String key, String tfliteName, String tag, HostTensor value, boolean parameter, String note) {
    String have = weightByKey.get(key);
    if (have != null) {
      return "self." + have;
    }
    String base = Py.identifier(tfliteName, 48) + (tag.isEmpty() ? "" : "_" + tag);
    String attr = unique(base);
    HostTensor v = value;
    if (v.dtype() == DType.FLOAT16 || v.dtype() == DType.FLOAT64) {
      v = v.toFloat32();
    } else if (v.dtype() == DType.INT8 || v.dtype() == DType.INT16 || v.dtype() == DType.UINT8) {
      int[] ints = new int[Math.toIntExact(v.numel())];
      for (int i = 0; i < ints.length; i++) {
        ints[i] = (int) v.getDouble(i);
      }
      v = HostTensor.ofInts(v.shape(), Layout.ANY, ints); // as the JVM's torch tensors hold them
    }
    weights.put(attr, new PyWeight(attr, tfliteName, v, parameter && v.dtype() == DType.FLOAT32,
        note + " " + Arrays.toString(v.shape()) + " " + v.dtype().name().toLowerCase(Locale.ROOT)));
    weightByKey.put(key, attr);
    return "self." + attr;
  }
}
