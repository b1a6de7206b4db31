package dev.crossalign.port.onnx;

import dev.crossalign.UnsupportedOp;
import dev.crossalign.CrossalignException;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxModel;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpRegistry;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The export engine (each op's nodes come from its family in port/ops, {@link OpLowering#exportOnnx}): TFLite main
 * subgraph -> ONNX (opset {@value OnnxGraphBuilder#DEFAULT_OPSET}) with TensorFlow's semantics: the math
 * of the torch port, rank-4 activations NCHW inside, TFLite tensor names on the ONNX tensors that reproduce them, the
 * graph's inputs and outputs in TFLite axes (inputs NCHW on request). Shapes are the TFLite static shapes.
 */
public final class Exporter {
  /** The builtin families (and plug-ins on the class path), loaded once. */
  private static volatile OpRegistry defaultOps;

  private Exporter() {}

  private static OpRegistry defaultOps() {
    OpRegistry r = defaultOps;
    if (r == null) {
      r = OpRegistry.load();
      defaultOps = r;
    }
    return r;
  }

  /** The op names this exporter can express with the default registry (builtin families and class-path plug-ins). */
  public static Set<String> supportedOps() {
    return supportedOps(defaultOps());
  }

  /** The op names this exporter can express with {@code ops}. */
  public static Set<String> supportedOps(OpRegistry ops) {
    Set<String> names = new TreeSet<>();
    for (String n : ops.supportedOps()) {
      if (ops.find(n).onnxOps().contains(n)) {
        names.add(n);
      }
    }
    return names;
  }

  /**
   * Exports the main subgraph.
   *
   * @throws CrossalignException UNSUPPORTED (exit 3) naming every op that cannot be expressed, with counts and reasons
   */
  public static Export export(TfliteModel model, ExportOptions opts) {
    return export(model, opts, defaultOps());
  }

  /** {@link #export} with the op families of {@code ops} (for example a registry with a plug-in added). */
  public static Export export(TfliteModel model, ExportOptions opts, OpRegistry ops) {
    Export e = build(model, opts, ops);
    if (!e.unsupported().isEmpty()) {
      throw CrossalignException.unsupported("cannot export " + model.label() + " to ONNX: " + e.unsupported().stream()
          .map(u -> u.op() + " x" + u.count() + " (" + u.reason() + ")").collect(Collectors.joining(", ")));
    }
    return e;
  }

  /** What {@link #export} would refuse (op, count, reasons), without throwing; empty when the graph exports. */
  public static List<UnsupportedOp> check(TfliteModel model, ExportOptions opts) {
    return build(model, opts, defaultOps()).unsupported();
  }

  /**
   * One export attempt that does not throw for unsupported ops: the export when it succeeded, else a result whose
   * model is null and whose {@code unsupported} lists the refusals (what {@link #check} returns).
   */
  public static Export attempt(TfliteModel model, ExportOptions opts) {
    return build(model, opts, defaultOps());
  }

  /** The export, or (model null) the list of refusals. */
  private static Export build(TfliteModel model, ExportOptions opts, OpRegistry ops) {
    ExportOptions o = opts == null ? ExportOptions.DEFAULT : opts;
    OnnxGraphBuilder b = new OnnxGraphBuilder(graphName(model));
    ExportContext ctx = new ExportContext(model, b);
    b.metadata("crossalign.source", "tflite:" + model.label());
    addInputs(ctx, o);

    Map<String, List<String>> refusals = new LinkedHashMap<>();
    for (Operator op : ctx.sg.operators()) {
      try {
        if (ConstantFolder.tryFold(ctx, op)) {
          continue;
        }
        refuseQuantizedActivations(ctx, op);
        OnnxOp s = ctx.scope(op);
        OpLowering family = ops.find(op.opName());
        if (family == null || !family.onnxOps().contains(op.opName())) {
          throw new ExportRefusal("no ONNX export for this op");
        }
        family.exportOnnx(s);
        s.finish();
      } catch (ExportRefusal r) {
        refusals.computeIfAbsent(op.opName(), k -> new ArrayList<>()).add(r.getMessage());
        // Keep going so that the report names every op; define the outputs so that later ops still resolve.
        for (int out : op.outputs()) {
          if (out >= 0 && !ctx.isDefined(out)) {
            ctx.define(out, ctx.canonicalName(out));
          }
        }
      }
    }
    List<UnsupportedOp> unsupported = new ArrayList<>();
    refusals.forEach((name, reasons) -> unsupported.add(
        new UnsupportedOp(name, reasons.size(), reasons.stream().distinct().limit(3)
            .collect(Collectors.joining("; ")))));
    if (!unsupported.isEmpty()) {
      return new Export(null, Map.of(), unsupported);
    }
    addOutputs(ctx, o);
    ctx.layouts.forEach(b::layout);
    OnnxModel m;
    try {
      m = b.build();
    } catch (RuntimeException e) {
      throw new CrossalignException(CrossalignException.Kind.INTERNAL, "exported ONNX graph of " + model.label() + " fails the checker: "
          + e.getMessage());
    }
    return new Export(m, ctx.onnxToTflite, unsupported);
  }

  /** Integer-quantized activations would need QuantizeLinear/QLinear ops with TFLite's rounding: not exported. */
  private static void refuseQuantizedActivations(ExportContext ctx, Operator op) {
    for (int[] list : new int[][] {op.inputs(), op.outputs()}) {
      for (int idx : list) {
        if (idx >= 0 && !ctx.isConst(idx) && ctx.tensor(idx).isQuantized()
            && ctx.tensor(idx).type() != dev.crossalign.tflite.TensorType.FLOAT32) {
          throw new ExportRefusal("quantized (" + ctx.tensor(idx).type() + ") activation '"
              + ctx.tensor(idx).name() + "': integer-quantized graphs are not exported");
        }
      }
    }
  }

  private static String graphName(TfliteModel model) {
    String l = model.label() == null ? "model" : model.label();
    int slash = Math.max(l.lastIndexOf('/'), l.lastIndexOf('\\'));
    return l.substring(slash + 1);
  }

  private static DType dtype(TensorInfo t) {
    if (t.type() == null || t.type().dtype() == null) {
      throw CrossalignException.unsupported("tensor '" + t.name() + "' has type code " + t.typeCode()
          + " which ONNX export does not handle");
    }
    return t.type().dtype();
  }

  private static void addInputs(ExportContext ctx, ExportOptions o) {
    for (int idx : ctx.sg.inputs()) {
      TensorInfo t = ctx.tensor(idx);
      if (ctx.model.isConstant(t)) {
        continue;
      }
      String name = ctx.canonicalName(idx);
      int[] shape = t.shape();
      ctx.onnxToTflite.put(name, t.name());
      if (shape.length != 4) {
        ctx.b.addInput(name, dtype(t), shape);
        ctx.layouts.put(name, Layout.ANY);
        ctx.define(idx, name);
      } else if (o.inputLayout() == ExportOptions.InputLayout.NCHW) {
        ctx.b.addInput(name, dtype(t), new int[] {shape[0], shape[3], shape[1], shape[2]});
        ctx.layouts.put(name, Layout.NCHW);
        ctx.define(idx, name);
      } else {
        ctx.b.addInput(name, dtype(t), shape);
        ctx.layouts.put(name, Layout.NHWC);
        String nchw = ctx.unique(name + "/nchw");
        ctx.b.addNode("Transpose", List.of(name), List.of(nchw),
            OnnxGraphBuilder.attrs().putInts("perm", ExportContext.TO_NCHW));
        ctx.define(idx, nchw);
      }
    }
  }

  private static int[] nchwShape(int[] s) {
    return new int[] {s[0], s[3], s[1], s[2]};
  }

  private static void addOutputs(ExportContext ctx, ExportOptions o) {
    // Every op output that stands for a TFLite tensor under its canonical name is mapped (rank 4: NCHW).
    for (Operator op : ctx.sg.operators()) {
      for (int idx : op.outputs()) {
        if (idx < 0 || !ctx.isDefined(idx) || ctx.isGraphOutput(idx)) {
          continue;
        }
        String name = ctx.nativeValue(idx);
        if (name.equals(ctx.canonicalName(idx))) {
          ctx.onnxToTflite.put(name, ctx.tensor(idx).name());
          ctx.layouts.put(name, ctx.rank(idx) == 4 ? Layout.NCHW : Layout.ANY);
        }
      }
    }
    for (int outIdx : ctx.sg.outputs()) {
      final int idx = outIdx;
      TensorInfo t = ctx.tensor(idx);
      String name = ctx.canonicalName(idx);
      String v = ctx.nativeValue(idx);
      boolean graphInput = java.util.Arrays.stream(ctx.sg.inputs()).anyMatch(i -> i == idx);
      if (graphInput) {
        // A graph input passed straight through: the ONNX input itself is the output (same name, same layout).
        ctx.b.addOutput(name, dtype(t), ctx.model.main().tensor(idx).shape().length == 4
            && o.inputLayout() == ExportOptions.InputLayout.NCHW ? nchwShape(t.shape()) : t.shape());
        continue;
      }
      if (t.shape().length == 4 && !v.equals(name)) {
        ctx.b.addNode("Transpose", List.of(v), List.of(name),
            OnnxGraphBuilder.attrs().putInts("perm", ExportContext.TO_NHWC));
      } else if (!v.equals(name)) {
        ctx.b.addNode("Identity", List.of(v), List.of(name));
      }
      ctx.b.addOutput(name, dtype(t), t.shape());
      ctx.onnxToTflite.put(name, t.name());
      ctx.layouts.put(name, t.shape().length == 4 ? Layout.NHWC : Layout.ANY);
    }
  }
}
