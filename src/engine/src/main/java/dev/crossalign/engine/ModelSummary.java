package dev.crossalign.engine;

import dev.crossalign.port.OpRegistry;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** What `inspect` reports about a model: signature, op histogram and support, weights, size of the compute. */
public record ModelSummary(
    String model,
    List<TensorSig> inputs,
    List<TensorSig> outputs,
    Map<String, OpCount> ops,
    List<String> customOps,
    Map<String, Long> weightDtypes,
    long parameters,
    long flops,
    int subgraphs,
    int tensors) {

  public record TensorSig(String name, String dtype, int[] shape) {}

  /**
   * How often an op occurs and which backends can run it; {@code onnxruntime}: the exporter writes every instance of
   * it in this model (including the weight ops it folds into initializers, DEQUANTIZE and DENSIFY of constants).
   */
  public record OpCount(int count, boolean tflite, boolean torch, boolean onnxruntime) {}

  public static ModelSummary of(TfliteModel m, String label) {
    Subgraph g = m.main();
    List<TensorSig> ins = new ArrayList<>();
    for (int i : g.inputs()) {
      ins.add(sig(g.tensor(i)));
    }
    List<TensorSig> outs = new ArrayList<>();
    for (int i : g.outputs()) {
      outs.add(sig(g.tensor(i)));
    }
    OpRegistry registry = OpRegistry.load();
    Map<String, Integer> counts = new TreeMap<>();
    List<String> custom = new ArrayList<>();
    long flops = 0;
    for (Operator op : g.operators()) {
      counts.merge(op.opName(), 1, Integer::sum);
      if (op.isCustom() && !custom.contains(op.opName())) {
        custom.add(op.opName());
      }
      flops += flops(g, op);
    }
    Map<String, OpCount> ops = new LinkedHashMap<>();
    java.util.Set<String> notExported = notExported(m);
    // custom ops: TFLite runs those its XNNPACK delegate implements; the exporter answers for plug-ins' exports
    counts.forEach((name, n) -> ops.put(name, new OpCount(n,
        !isCustomName(g, name) || dev.crossalign.backend.tflite.TfliteBackend.CUSTOM_OPS_WITH_KERNEL.contains(name),
        registry.find(name) != null, !notExported.contains(name))));
    Map<String, Long> weights = new TreeMap<>();
    long params = 0;
    for (TensorInfo t : g.tensors()) {
      if (m.isConstant(t)) {
        long n = HostTensor.numel(t.shape());
        String dt = (t.type() == null ? "type" + t.typeCode() : t.type().name()) + (t.sparsity() != null ? " (sparse)" : "");
        weights.merge(dt, n, Long::sum);
        params += n;
      }
    }
    return new ModelSummary(label, ins, outs, ops, custom, weights, params, flops, m.subgraphs().size(), g.tensors().size());
  }

  /**
   * The ops the exporter refuses in this model: its own answer on this graph, not its op table (DEQUANTIZE and DENSIFY
   * of constants are folded into weights, and an op kind it has can still be refused for one instance's options).
   */
  private static java.util.Set<String> notExported(TfliteModel m) {
    java.util.Set<String> names = new java.util.HashSet<>();
    try {
      for (var u : dev.crossalign.port.onnx.Exporter.check(m, dev.crossalign.port.onnx.ExportOptions.DEFAULT)) {
        names.add(u.op());
      }
    } catch (RuntimeException e) {
      // a graph the exporter cannot even walk: fall back to its op table for this summary
      java.util.Set<String> table = dev.crossalign.port.onnx.Exporter.supportedOps();
      for (Operator op : m.main().operators()) {
        if (!table.contains(op.opName())) {
          names.add(op.opName());
        }
      }
    }
    return names;
  }

  private static boolean isCustomName(Subgraph g, String name) {
    for (Operator op : g.operators()) {
      if (op.opName().equals(name)) {
        return op.isCustom();
      }
    }
    return false;
  }

  private static TensorSig sig(TensorInfo t) {
    return new TensorSig(t.name(), t.type() == null ? "type" + t.typeCode() : t.type().name(), t.shape());
  }

  /** Multiply-adds counted twice; elementwise ops one per output element. An estimate, as every such tool gives. */
  static long flops(Subgraph g, Operator op) {
    if (op.outputs().length == 0) {
      return 0;
    }
    long out = HostTensor.numel(g.tensor(op.outputs()[0]).shape());
    if (op.builtin() == null) {
      return out;
    }
    return switch (op.builtin()) {
      case CONV_2D, TRANSPOSE_CONV -> {
        int wIdx = op.builtin() == BuiltinOp.TRANSPOSE_CONV ? 1 : 1;
        int[] w = g.tensor(op.inputs()[wIdx]).shape();
        yield w.length == 4 ? 2L * out * w[1] * w[2] * w[3] : out;
      }
      case DEPTHWISE_CONV_2D -> {
        int[] w = g.tensor(op.inputs()[1]).shape();
        yield w.length == 4 ? 2L * out * w[1] * w[2] : out;
      }
      case FULLY_CONNECTED -> {
        int[] w = g.tensor(op.inputs()[1]).shape();
        yield w.length == 2 ? 2L * out * w[1] : out;
      }
      case AVERAGE_POOL_2D, MAX_POOL_2D -> op.options() instanceof OpOptions.Pool2D p ? out * p.filterH() * p.filterW() : out;
      case DEQUANTIZE, DENSIFY, RESHAPE, SQUEEZE, EXPAND_DIMS -> 0;
      default -> out;
    };
  }
}
