package dev.crossalign.port.codegen;

import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.port.UnsupportedOpException;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a TFLite model's main subgraph as one PyTorch module: each op family emits its own code through {@link
 * OpLowering#emitPython}; this class walks the graph, converts the layout at the boundary and adds the capture of
 * every intermediate. {@link GenState} folds the weight-storage ops (DEQUANTIZE, DENSIFY and reshapes of their
 * results) to float32 tensors and names variables and weights after the TFLite tensors; {@link ModuleSource} writes
 * the text, plain eager PyTorch and TorchScript at once.
 */
public final class PyGenerator {
  /** The layout of rank-4 inputs and outputs at the module's boundary. */
  public enum Boundary {
    /** As the TFLite signature (NHWC): a permute at the entry and the exit. */
    NHWC,
    /** Channels-first, as PyTorch users usually feed images. */
    NCHW
  }

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
    GenState s = new GenState(model, clampOverflow);
    Subgraph g = s.graph;
    List<GeneratedModel.Port> inputs = new ArrayList<>();
    List<String> body = new ArrayList<>();
    for (int idx : g.inputs()) {
      inputs.add(entry(s, idx, boundary, body));
    }
    Map<String, List<String>> refusals = new LinkedHashMap<>();
    for (Operator op : g.operators()) {
      if (!s.tryFold(op)) {
        writeOp(s, registry, op, everyOp, body, refusals);
      }
    }
    List<UnsupportedOp> refused = new ArrayList<>();
    refusals.forEach((name, reasons) -> refused.add(
        new UnsupportedOp(name, reasons.size(), String.join("; ", reasons.stream().distinct().limit(3).toList()))));
    List<GeneratedModel.Port> outputs = new ArrayList<>();
    List<String> results = new ArrayList<>();
    for (int idx : g.outputs()) {
      outputs.add(exit(s, idx, boundary, results));
    }
    String forward = ModuleSource.forward(inputs, outputs, results, body, boundary);
    String source = ModuleSource.module(model, className, s, forward, inputs, outputs, boundary);
    String ts = ModuleSource.torchScript(forward);
    Map<Integer, java.util.function.Supplier<HostTensor>> foldedOutputs = new LinkedHashMap<>();
    for (Operator op : g.operators()) {
      for (int o : op.outputs()) {
        if (o >= 0 && s.recipes.containsKey(o)) {
          foldedOutputs.put(o, s.recipes.get(o));
        }
      }
    }
    return new GeneratedModel(className, source, ts, List.copyOf(s.weights.values()), inputs, outputs, boundary, refused,
        new FoldedOutputs(foldedOutputs), List.copyOf(s.ops));
  }

  /** Graph input {@code idx}: its parameter, the forward's first lines (NHWC -> NCHW at the boundary) and capture. */
  private static GeneratedModel.Port entry(GenState s, int idx, Boundary boundary, List<String> body) {
    TensorInfo t = s.graph.tensor(idx);
    String py = s.unique(Py.identifier(t.name(), 40));
    int rank = t.shape().length;
    String v = s.var(idx);
    if (rank == 4 && boundary == Boundary.NHWC) {
      body.add(v + " = " + py + ".permute(0, 3, 1, 2)  # input " + Py.comment("'" + t.name() + "'") + " NHWC -> NCHW");
    } else {
      body.add(v + " = " + py + "  # input " + Py.comment("'" + t.name() + "'"));
    }
    body.add("if capture:");
    body.add("    cap[" + Py.str(t.name()) + "] = " + (rank == 4 ? v + ".permute(0, 2, 3, 1)" : v));
    return new GeneratedModel.Port(t.name(), py, boundaryShape(t.shape(), boundary), rank);
  }

  /**
   * One operator through its family's {@link OpLowering#emitPython}: its lines and the capture of its outputs go to
   * {@code body}, or the reason it cannot be written to {@code refusals}.
   */
  private static void writeOp(GenState s, OpRegistry registry, Operator op, boolean everyOp, List<String> body,
      Map<String, List<String>> refusals) {
    Subgraph g = s.graph;
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
      return;
    } catch (RuntimeException e) {
      refusals.computeIfAbsent(op.opName(), k -> new ArrayList<>()).add("code generation failed: " + e);
      return;
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

  /** Graph output {@code idx}: its returned expression (NCHW -> NHWC at the boundary; a constant as a buffer). */
  private static GeneratedModel.Port exit(GenState s, int idx, Boundary boundary, List<String> results) {
    TensorInfo t = s.graph.tensor(idx);
    int rank = t.shape().length;
    String v;
    if (s.constant(idx) != null) {
      HostTensor c = s.constant(idx);
      v = s.register(idx + ":out", t.name(), "", c.rank() == 4 ? c.permute(Layout.nhwcToNchw(), Layout.NCHW) : c,
          false, "constant graph output");
    } else {
      v = s.var(idx);
    }
    results.add(rank == 4 && boundary == Boundary.NHWC ? v + ".permute(0, 2, 3, 1)" : v);
    return new GeneratedModel.Port(t.name(), Py.identifier(t.name(), 40), boundaryShape(t.shape(), boundary), rank);
  }

  private static int[] boundaryShape(int[] s, Boundary b) {
    return s.length == 4 && b == Boundary.NCHW ? new int[] {s[0], s[3], s[1], s[2]} : s;
  }
}
