package dev.crossalign.port.codegen;

import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.port.UnsupportedOpException;
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

/**
 * Writes a TFLite model's main subgraph as one PyTorch module: each op family emits its own code through {@link
 * OpLowering#emitPython}; this class folds the weight-storage ops (DEQUANTIZE, DENSIFY and reshapes of their
 * results) to float32 tensors, names variables and weights after the TFLite tensors, converts the layout at the
 * boundary, and adds the capture of every intermediate. The text is plain eager PyTorch and TorchScript at once.
 */
public final class PyGenerator {
  /** The layout of rank-4 inputs and outputs at the module's boundary. */
  public enum Boundary {
    /** As the TFLite signature (NHWC): a permute at the entry and the exit. */
    NHWC,
    /** Channels-first, as PyTorch users usually feed images. */
    NCHW
  }

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

  private PyGenerator() {}

  /** Generates the module; ops that cannot be written are listed in {@link GeneratedModel#refusals}. */
  public static GeneratedModel generate(TfliteModel model, OpRegistry registry, String className, Boundary boundary) {
    return generate(model, registry, className, boundary, false);
  }

  /**
   * As {@link #generate(TfliteModel, OpRegistry, String, Boundary)}; with {@code clampOverflow} the unbounded fused
   * activations (NONE, RELU, the ignored TANH) of float32 results clamp to float32's finite range as TFLite's kernels do:
   * the torch backend's own TorchScript module wants that (an overflow is FLT_MAX there, as in the interpreter), the
   * model.py handed to the user does not (FusedActivation#py says why).
   */
  public static GeneratedModel generate(TfliteModel model, OpRegistry registry, String className, Boundary boundary,
      boolean clampOverflow) {
    return generate(model, registry, className, boundary, clampOverflow, false);
  }

  /**
   * Every op's code on its own, for isolated runs ({@link OpMethods}): as the torch backend's module (overflow
   * clamped), and an op whose input comes from a refused op is still written, since isolated runs feed it the
   * reference's tensor. {@link GeneratedModel#ops} is what counts: when ops are refused the forward is not runnable.
   */
  public static GeneratedModel generateEveryOp(TfliteModel model, OpRegistry registry) {
    return generate(model, registry, "Model", Boundary.NHWC, true, true);
  }

  private static GeneratedModel generate(TfliteModel model, OpRegistry registry, String className, Boundary boundary,
      boolean clampOverflow, boolean everyOp) {
    State s = new State(model, clampOverflow);
    Subgraph g = s.graph;
    List<GeneratedModel.Port> inputs = new ArrayList<>();
    List<String> entry = new ArrayList<>();
    for (int idx : g.inputs()) {
      TensorInfo t = g.tensor(idx);
      String py = s.unique(Py.identifier(t.name(), 40));
      int rank = t.shape().length;
      inputs.add(new GeneratedModel.Port(t.name(), py, boundaryShape(t.shape(), boundary), rank));
      String v = s.var(idx);
      if (rank == 4 && boundary == Boundary.NHWC) {
        entry.add(v + " = " + py + ".permute(0, 3, 1, 2)  # input " + Py.comment("'" + t.name() + "'") + " NHWC -> NCHW");
      } else {
        entry.add(v + " = " + py + "  # input " + Py.comment("'" + t.name() + "'"));
      }
      entry.add("if capture:");
      entry.add("    cap[" + Py.str(t.name()) + "] = " + (rank == 4 ? v + ".permute(0, 2, 3, 1)" : v));
    }
    List<String> body = new ArrayList<>(entry);
    Map<String, List<String>> refusals = new LinkedHashMap<>();
    for (Operator op : g.operators()) {
      if (s.tryFold(op)) {
        continue;
      }
      OpLowering lowering = registry.find(op.opName());
      s.lines.clear();
      try {
        if (lowering == null) {
          throw new UnsupportedOpException(op.opName(), op.isCustom()
              ? "custom op with no plug-in (add an OpLowering for '" + op.customCode() + "')"
              : "no lowering for this builtin op");
        }
        for (int in : op.inputs()) {
          if (!everyOp && in >= 0 && s.constant(in) == null && !s.defined.contains(in)) {
            throw new UnsupportedOpException(op.opName(), "input '" + g.tensor(in).name() + "' has no value");
          }
        }
        lowering.emitPython(new PyOp(s, op));
      } catch (UnsupportedOpException e) {
        refusals.computeIfAbsent(op.opName(), k -> new ArrayList<>()).add(e.reason());
        continue;
      } catch (RuntimeException e) {
        refusals.computeIfAbsent(op.opName(), k -> new ArrayList<>()).add("code generation failed: " + e);
        continue;
      }
      s.ops.add(s.opCode(op));
      TensorInfo o0 = g.tensor(op.outputs()[0]);
      body.add("# op " + op.index() + " " + op.opName() + " -> " + Py.comment("'" + o0.name() + "' " + Arrays.toString(o0.shape())));
      body.addAll(s.lines);
      List<String> cap = new ArrayList<>();
      for (int o : op.outputs()) {
        if (o < 0) {
          continue;
        }
        s.defined.add(o);
        TensorInfo t = g.tensor(o);
        String v = s.var(o);
        cap.add("    cap[" + Py.str(t.name()) + "] = " + (t.shape().length == 4 ? v + ".permute(0, 2, 3, 1)" : v));
      }
      body.add("if capture:");
      body.addAll(cap);
    }
    List<UnsupportedOp> refused = new ArrayList<>();
    refusals.forEach((name, reasons) -> refused.add(
        new UnsupportedOp(name, reasons.size(), String.join("; ", reasons.stream().distinct().limit(3).toList()))));
    List<GeneratedModel.Port> outputs = new ArrayList<>();
    List<String> results = new ArrayList<>();
    for (int idx : g.outputs()) {
      TensorInfo t = g.tensor(idx);
      int rank = t.shape().length;
      String v;
      if (s.constant(idx) != null) {
        HostTensor c = s.constant(idx);
        v = s.register(idx + ":out", t.name(), "", c.rank() == 4 ? c.permute(new int[] {0, 3, 1, 2}, Layout.NCHW) : c,
            false, "constant graph output");
      } else {
        v = s.var(idx);
      }
      String r = rank == 4 && boundary == Boundary.NHWC ? v + ".permute(0, 2, 3, 1)" : v;
      results.add(r);
      outputs.add(new GeneratedModel.Port(t.name(), Py.identifier(t.name(), 40), boundaryShape(t.shape(), boundary), rank));
    }
    String forward = forward(s, inputs, outputs, results, body, boundary);
    String source = module(model, className, s, forward, inputs, outputs, boundary);
    String ts = torchScript(forward);
    Map<Integer, HostTensor> foldedOutputs = new LinkedHashMap<>();
    for (Operator op : g.operators()) {
      for (int o : op.outputs()) {
        if (o >= 0 && s.folded.containsKey(o)) {
          foldedOutputs.put(o, s.folded.get(o));
        }
      }
    }
    return new GeneratedModel(className, source, ts, List.copyOf(s.weights.values()), inputs, outputs, boundary, refused,
        java.util.Collections.unmodifiableMap(foldedOutputs), List.copyOf(s.ops));
  }

  private static int[] boundaryShape(int[] s, Boundary b) {
    return s.length == 4 && b == Boundary.NCHW ? new int[] {s[0], s[3], s[1], s[2]} : s;
  }

  private static String forward(State s, List<GeneratedModel.Port> inputs, List<GeneratedModel.Port> outputs,
      List<String> results, List<String> body, Boundary boundary) {
    StringBuilder b = new StringBuilder();
    StringBuilder params = new StringBuilder();
    for (GeneratedModel.Port p : inputs) {
      params.append(", ").append(p.pythonName()).append(": Tensor");
    }
    StringBuilder types = new StringBuilder();
    for (int i = 0; i < outputs.size(); i++) {
      types.append("Tensor, ");
    }
    b.append("def forward(self").append(params).append(", capture: bool = False) -> Tuple[").append(types)
        .append("Dict[str, Tensor]]:\n");
    b.append("    \"\"\"Runs the graph in TFLite's op order. Inputs and outputs are ")
        .append(boundary == Boundary.NHWC ? "in the TFLite signature's layout (NHWC for images)" : "NCHW for rank 4")
        .append(".\n\n");
    b.append("    Returns the outputs (");
    for (int i = 0; i < outputs.size(); i++) {
      b.append(i == 0 ? "" : ", ").append(Py.comment("'" + outputs.get(i).tfliteName() + "'"));
    }
    b.append(") and, when capture is true, every tensor keyed by its TFLite name in TFLite's axes (else an empty"
        + " dict).\n    \"\"\"\n");
    b.append("    cap: Dict[str, Tensor] = {}\n");
    for (String line : body) {
      b.append("    ").append(line).append('\n');
    }
    b.append("    return (");
    for (String r : results) {
      b.append(r).append(", ");
    }
    b.append("cap)\n");
    return b.toString();
  }

  /**
   * F.interpolate as the resize family writes it; aten's function under it (what F.interpolate calls with a size and
   * no scale factors) is upsample_bilinear2d, which libtorch's native resolver knows.
   */
  private static final String INTERPOLATE =
      "(?<![A-Za-z0-9_.])F\\.interpolate\\((\\w+), size=(\\[\\d+, \\d+\\]), mode=\"bilinear\", align_corners=(True|False)\\)";

  /**
   * The forward method as libtorch's compiler takes it: F.* is aten's torch.* (same function, same arguments), and a
   * dtype is its ScalarType number (what TorchScript holds a dtype as; the native resolver has no torch.int32).
   */
  static String torchScript(String forward) {
    return forward.replaceAll(INTERPOLATE, "torch.upsample_bilinear2d($1, $2, $3, None, None)")
        .replaceAll("(?<![A-Za-z0-9_.])F\\.", "torch.")
        .replace("torch.int32)", "3)").replace("torch.int64)", "4)").replace("torch.float32)", "6)")
        .replace("torch.bool)", "11)");
  }

  private static String module(TfliteModel model, String className, State s, String forward,
      List<GeneratedModel.Port> inputs, List<GeneratedModel.Port> outputs, Boundary boundary) {
    StringBuilder b = new StringBuilder();
    String label = model.label() == null ? "model" : model.label();
    b.append("# Generated by crossalign from ").append(Py.comment(label)).append(" (TFLite).\n");
    b.append("# TensorFlow Lite's semantics spelled out in PyTorch: NCHW inside, SAME padding as explicit pads, the\n");
    b.append("# TFLite op and tensor each block reproduces in the comment above it. Eager PyTorch and TorchScript.\n");
    b.append("# Load: m = ").append(className).append("(); m.load_state_dict(torch.load(\"weights.pth\")); m.eval()\n");
    b.append("from typing import Dict, List, Optional, Tuple\n\n");
    b.append("import torch\nimport torch.nn.functional as F\nfrom torch import Tensor, nn\n\n\n");
    b.append("class ").append(className).append("(nn.Module):\n");
    b.append("    \"\"\"").append(Py.comment(label)).append(": inputs ");
    for (int i = 0; i < inputs.size(); i++) {
      GeneratedModel.Port p = inputs.get(i);
      b.append(i == 0 ? "" : ", ").append(p.pythonName()).append(' ').append(Arrays.toString(p.shape()));
    }
    b.append(", outputs ");
    for (int i = 0; i < outputs.size(); i++) {
      GeneratedModel.Port p = outputs.get(i);
      b.append(i == 0 ? "" : ", ").append(Py.comment(p.tfliteName())).append(' ').append(Arrays.toString(p.shape()));
    }
    b.append(" (").append(boundary == Boundary.NHWC ? "TFLite layout" : "NCHW").append(").\"\"\"\n\n");
    b.append("    def __init__(self) -> None:\n        super().__init__()\n");
    b.append("        # Every weight as a parameter or buffer named after its TFLite tensor; values in weights.pth.\n");
    for (PyWeight w : s.weights.values()) {
      b.append("        # ").append(Py.comment("'" + w.source() + "' " + w.note())).append('\n');
      String shape = Py.ints(w.value().shape());
      String dtype = torchDtype(w.value().dtype());
      if (w.parameter()) {
        b.append("        self.").append(w.attribute()).append(" = nn.Parameter(torch.zeros(").append(shape)
            .append(", dtype=").append(dtype).append("))\n");
      } else {
        b.append("        self.register_buffer(").append(Py.str(w.attribute())).append(", torch.zeros(").append(shape)
            .append(", dtype=").append(dtype).append("))\n");
      }
    }
    b.append('\n');
    for (String line : forward.split("\n", -1)) {
      b.append(line.isEmpty() ? "" : "    " + line).append('\n');
    }
    String out = b.toString();
    while (out.endsWith("\n\n")) {
      out = out.substring(0, out.length() - 1);
    }
    return out;
  }

  static String torchDtype(DType d) {
    return switch (d) {
      case FLOAT32 -> "torch.float32";
      case FLOAT64 -> "torch.float64";
      case FLOAT16 -> "torch.float16";
      case INT64 -> "torch.int64";
      case INT32 -> "torch.int32";
      case INT16 -> "torch.int16";
      case INT8 -> "torch.int8";
      case UINT8 -> "torch.uint8";
      case BOOL -> "torch.bool";
      default -> throw new IllegalArgumentException("no torch dtype for " + d);
    };
  }

  /** Mutable state of one generation. */
  static final class State {
    final TfliteModel model;
    final Subgraph graph;
    final Map<Integer, HostTensor> folded = new HashMap<>();
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

    State(TfliteModel model, boolean clampOverflow) {
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
      HostTensor c;
      if (HostTensor.numel(t.shape()) == 0) {
        c = HostTensor.of(t.type().dtype(), t.shape(), Layout.ANY, ByteBuffer.allocate(0));
      } else if (model.isConstant(t)) {
        c = model.constant(t);
      } else {
        return null;
      }
      if (c.dtype() == DType.FLOAT16) {
        c = c.toFloat32();
      }
      folded.put(idx, c);
      return c;
    }

    /** Folds the weight-storage ops; true when {@code op} was folded into a constant. */
    boolean tryFold(Operator op) {
      if (op.builtin() == null || op.outputs().length != 1 || op.inputs().length < 1 || op.inputs()[0] < 0) {
        return false;
      }
      int in = op.inputs()[0];
      TensorInfo t = graph.tensor(in);
      HostTensor value;
      try {
        if (op.builtin() == BuiltinOp.DEQUANTIZE) {
          if (producedByOp.contains(in) && !folded.containsKey(in)) {
            return false;
          }
          HostTensor raw = folded.containsKey(in) ? folded.get(in) : rawConstant(t);
          if (raw == null) {
            return false;
          }
          value = WeightFolding.dequantize(t, raw);
        } else if (op.builtin() == BuiltinOp.DENSIFY) {
          if (t.sparsity() == null || !model.isConstant(t)) {
            return false;
          }
          value = WeightFolding.densify(model, t);
          if (value.dtype() == DType.FLOAT16 && !graph.tensor(op.outputs()[0]).type().name().equals("FLOAT16")) {
            value = value.toFloat32();
          }
        } else if (op.builtin() == BuiltinOp.RESHAPE || op.builtin() == BuiltinOp.SQUEEZE
            || op.builtin() == BuiltinOp.EXPAND_DIMS) {
          if (!folded.containsKey(in) || !producedByOp.contains(in)) {
            return false; // only reshapes of folded weights; a buffer constant's reshape is generated as code
          }
          int[] shape = graph.tensor(op.outputs()[0]).shape();
          HostTensor c = folded.get(in);
          if (HostTensor.numel(shape) != c.numel()) {
            return false;
          }
          value = c.reshape(shape);
        } else {
          return false;
        }
      } catch (IllegalArgumentException e) {
        return false; // the op's own lowering then says why it cannot be generated
      }
      if (value.dtype() == DType.FLOAT16) {
        value = value.toFloat32();
      }
      folded.put(op.outputs()[0], value);
      return true;
    }

    /** The stored bytes of a buffer constant in its own dtype (quantized stays raw), or null. */
    private HostTensor rawConstant(TensorInfo t) {
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
}
