package dev.crossalign.port;

import dev.crossalign.UnsupportedOp;
import dev.crossalign.CrossalignException;
import dev.crossalign.backend.Activations;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.MemoryFormat;

/**
 * The TFLite main subgraph run through its eager lowerings (prepared once by {@link PreparedGraph}): chained runs
 * from the graph inputs and isolated runs fed the reference's tensors, each captured tensor handed over as soon as it
 * is on the host. Not thread-safe; owned by {@link PortBackend}.
 */
final class PortGraph {
  private final TfliteModel model;
  private final Subgraph graph;
  private final Device device;
  private final PreparedGraph prepared;
  /** Layout each non-constant tensor had in the last chained run (isolated mode feeds the same layout). */
  private final Map<Integer, Layout> chainedLayouts = new HashMap<>();
  /**
   * The float64 truth (issue 13): every floating constant and fed tensor in double, outputs kept in double. The same
   * lowerings run; only the precision of the numbers changes.
   */
  private final boolean float64;
  /** Opt-in per-op timing (PortBackend.profile): op index -> accumulated nanoseconds of forward(); null = off. */
  private long[] opNanos;

  PortGraph(TfliteModel model, Device device, OpRegistry registry) {
    this(model, device, registry, false, false);
  }

  /**
   * {@code deferWeights}: constants and lowered weights made on first use or by {@link #materialize} (see {@link
   * PreparedGraph}); unsupported ops and which ops are lowered are known at once either way.
   */
  PortGraph(TfliteModel model, Device device, OpRegistry registry, boolean float64, boolean deferWeights) {
    this.float64 = float64;
    this.model = model;
    this.graph = model.main();
    this.device = device;
    this.prepared = new PreparedGraph(model, device, registry, float64, deferWeights);
  }

  /** Makes every deferred constant and weight now, once (see {@link PreparedGraph#materialize}). */
  void materialize() {
    if (!prepared.isMaterialized()) {
      try (org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope();
          org.bytedeco.pytorch.InferenceMode guard = new org.bytedeco.pytorch.InferenceMode()) {
        prepared.materialize();
      }
    }
  }

  /** Bytes of the prepared tensors held now (constants, folds, lowered weights). */
  long preparedBytes() {
    return prepared.heldBytes();
  }

  List<UnsupportedOp> unsupported() {
    return prepared.unsupported();
  }

  Subgraph subgraph() {
    return graph;
  }

  /** Chained run: the whole graph from the given inputs. */
  Activations run(String backendName, Map<String, HostTensor> inputs, boolean captureAll) {
    Activations.Builder out = Activations.builder(backendName);
    run(inputs, captureAll, out);
    for (int o : graph.outputs()) {
      out.output(graph.tensor(o).name());
    }
    return out.build();
  }

  /** The chained run, each captured tensor handed to {@code out} as soon as it is on the host. */
  void run(Map<String, HostTensor> inputs, boolean captureAll, dev.crossalign.backend.TensorSink out) {
    Map<Integer, PortValue> values = new HashMap<>();
    for (int idx : graph.inputs()) {
      TensorInfo info = graph.tensor(idx);
      HostTensor h = inputs.get(info.name());
      if (h == null) {
        throw CrossalignException.input(
            "missing input '" + info.name() + "'; the model's inputs are " + inputNames());
      }
      if (!Arrays.equals(h.shape(), info.shape())) {
        throw CrossalignException.input(
            "input '" + info.name() + "' has shape " + Arrays.toString(h.shape()) + ", the model expects "
                + Arrays.toString(info.shape()));
      }
      // the float64 graph (its chained run only learns the layouts) takes its inputs in double like its constants
      Tensor t = toDevice(float64 && h.dtype().isFloating() ? TorchTensors.toTorchDouble(h)
          : TorchTensors.toTorch(h));
      PortValue v = info.shape().length == 4 ? PortValue.nchw(PortValue.toNchw(t).contiguous(MemoryFormat.ChannelsLast)) : PortValue.tf(t);
      values.put(idx, v);
      chainedLayouts.put(idx, v.layout());
      if (captureAll) {
        out.accept(new dev.crossalign.backend.CapturedTensor(info.name(), "INPUT", idx,
            h.withLayout(hostLayout(info, Layout.ANY))));
      }
    }
    if (captureAll) {
      captureFolded(out);
    }
    // Each op's temporaries live in a scope of its own; its outputs are retained past it and released after the last
    // op that reads them, so native memory holds the tensors still to be read, not the whole run.
    Map<Integer, Integer> lastRead = lastReads();
    java.util.Set<Integer> retained = new java.util.HashSet<>();
    try {
      int pos = -1;
      for (Operator op : graph.operators()) {
        pos++;
        LoweredOp lo = prepared.lowered(op.index());
        if (lo == null) {
          continue;
        }
        try (org.bytedeco.javacpp.PointerScope opScope = new org.bytedeco.javacpp.PointerScope()) {
          chainedOp(op, lo, values, retained, captureAll, out);
        }
        for (int t : op.inputs()) {
          if (t >= 0 && lastRead.get(t) == pos && !isGraphOutput(t) && retained.remove(t)) {
            values.remove(t).tensor().releaseReference();
          }
        }
      }
    } finally {
      for (int t : retained) {
        values.get(t).tensor().releaseReference();
      }
    }
  }

  private void chainedOp(Operator op, LoweredOp lo, Map<Integer, PortValue> values, java.util.Set<Integer> retained,
      boolean captureAll, dev.crossalign.backend.TensorSink out) {
    PortValue[] ins = new PortValue[op.inputs().length];
    for (int i = 0; i < ins.length; i++) {
      int t = op.inputs()[i];
      if (t < 0) {
        continue;
      }
      Tensor c = prepared.constant(t);
      ins[i] = c != null ? PortValue.tf(c) : values.get(t);
      if (ins[i] == null) {
        return; // produced by an unsupported op upstream
      }
    }
    PortValue[] outs = forward(op, lo, ins);
    for (int k = 0; k < op.outputs().length && k < outs.length; k++) {
      int t = op.outputs()[k];
      outs[k].tensor().retainReference();
      PortValue was = values.put(t, outs[k]);
      if (was != null && retained.contains(t)) {
        was.tensor().releaseReference();
      }
      retained.add(t);
      chainedLayouts.put(t, outs[k].layout());
      if (captureAll || isGraphOutput(t)) {
        TensorInfo info = graph.tensor(t);
        HostTensor host;
        try {
          host = TorchTensors.toHost(outs[k].tensor(), hostLayout(info, outs[k].layout()));
        } catch (CrossalignException e) {
          throw new CrossalignException(e.kind(), "model " + model.label() + ": op #" + op.index() + " "
              + op.opName() + " output '" + info.name() + "': " + e.getMessage(), e);
        }
        out.accept(new dev.crossalign.backend.CapturedTensor(info.name(), op.opName(), t, host));
      }
    }
  }

  /** For each tensor an op reads, the position (in graph order) of the last op reading it. */
  private Map<Integer, Integer> lastReads() {
    Map<Integer, Integer> last = new HashMap<>();
    int pos = -1;
    for (Operator op : graph.operators()) {
      pos++;
      for (int t : op.inputs()) {
        if (t >= 0) {
          last.put(t, pos);
        }
      }
    }
    return last;
  }

  /** Names of the graph's outputs, in order. */
  List<String> outputNames() {
    List<String> names = new ArrayList<>();
    for (int o : graph.outputs()) {
      names.add(graph.tensor(o).name());
    }
    return names;
  }

  /** The isolated run (every op fed the reference's own tensors for its inputs), each op's outputs handed to {@code
   * out} as soon as they are on the host. */
  void runIsolated(Activations reference, dev.crossalign.backend.TensorSink out) {
    if (chainedLayouts.isEmpty()) {
      learnLayouts(reference);
    }
    for (Operator op : graph.operators()) {
      LoweredOp lo = prepared.lowered(op.index());
      if (lo == null) {
        continue;
      }
      // one scope per op: its inputs (host copies of the reference's tensors) and outputs are freed as soon as they
      // are on the host, so native memory holds one op's tensors, not the whole run's
      try (org.bytedeco.javacpp.PointerScope opScope = new org.bytedeco.javacpp.PointerScope()) {
        isolatedOp(op, lo, reference, out);
      }
    }
  }

  /**
   * One op of an isolated run through its eager lowering (layouts learned first as {@link #runIsolated} does): the
   * fall-back of {@link ScriptedOps} for an op that has a lowering but no code generation.
   */
  void runIsolatedOp(Operator op, Activations reference, dev.crossalign.backend.TensorSink out) {
    LoweredOp lo = prepared.lowered(op.index());
    if (lo == null) {
      return;
    }
    if (chainedLayouts.isEmpty()) {
      learnLayouts(reference);
    }
    try (org.bytedeco.javacpp.PointerScope opScope = new org.bytedeco.javacpp.PointerScope()) {
      isolatedOp(op, lo, reference, out);
    }
  }

  /** A reference tensor in TFLite's axes: one captured channels-first (ONNX Runtime, the port itself) permuted back. */
  static HostTensor tfliteAxes(HostTensor ref) {
    return ref.layout() == Layout.NCHW && ref.rank() == 4 ? ref.permute(Layout.nchwToNhwc(), Layout.NHWC) : ref;
  }

  private void isolatedOp(Operator op, LoweredOp lo, Activations reference, dev.crossalign.backend.TensorSink out) {
    PortValue[] ins = new PortValue[op.inputs().length];
    boolean ready = true;
    for (int i = 0; i < ins.length; i++) {
      int t = op.inputs()[i];
      if (t < 0) {
        continue;
      }
      Tensor c = prepared.constant(t);
      if (c != null) {
        ins[i] = PortValue.tf(c);
        continue;
      }
      HostTensor ref = reference.tensor(graph.tensor(t).name());
      if (ref == null) {
        ready = false;
        break;
      }
      ref = tfliteAxes(ref);
      Tensor tt = toDevice(float64 && ref.dtype().isFloating() ? TorchTensors.toTorchDouble(ref)
          : TorchTensors.toTorch(ref.dtype().isFloating() ? ref.toFloat32() : ref));
      Layout want = chainedLayouts.getOrDefault(t, Layout.ANY);
      ins[i] =
          want == Layout.NCHW && tt.dim() == 4
              ? PortValue.nchw(PortValue.toNchw(tt).contiguous(MemoryFormat.ChannelsLast))
              : PortValue.tf(tt);
    }
    if (!ready) {
      return;
    }
    PortValue[] outs = forward(op, lo, ins);
    for (int k = 0; k < op.outputs().length && k < outs.length; k++) {
      int t = op.outputs()[k];
      TensorInfo info = graph.tensor(t);
      out.accept(new dev.crossalign.backend.CapturedTensor(info.name(), op.opName(), t,
          TorchTensors.toHost(outs[k].tensor(), hostLayout(info, outs[k].layout()), float64)));
    }
  }

  /**
   * Isolated runs feed each op its inputs in the layout the chained run gave them. When no chained run went through
   * these lowerings (the backend's chained runs take the TorchScript path), one outputs-only run on the reference's
   * graph inputs records them.
   */
  private void learnLayouts(Activations reference) {
    Map<String, HostTensor> inputs = new LinkedHashMap<>();
    for (int idx : graph.inputs()) {
      TensorInfo info = graph.tensor(idx);
      HostTensor h = reference.tensor(info.name());
      if (h == null || !Arrays.equals(h.shape(), info.shape())) {
        return; // then every fed tensor goes in TFLite's axes, which each lowering accepts as well
      }
      inputs.put(info.name(), h.dtype().isFloating() ? h.toFloat32() : h);
    }
    run("layouts", inputs, false);
  }

  private PortValue[] forward(Operator op, LoweredOp lo, PortValue[] ins) {
    try {
      if (opNanos != null) {
        long t0 = System.nanoTime();
        PortValue[] outs = lo.forward(ins);
        opNanos[op.index()] += System.nanoTime() - t0;
        return outs;
      }
      return lo.forward(ins);
    } catch (CrossalignException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CrossalignException(
          CrossalignException.Kind.INTERNAL,
          "torch port failed on model " + model.label() + " at op #" + op.index() + " " + op.opName() + " (output '"
              + graph.tensor(op.outputs()[0]).name() + "'): " + firstLine(e.getMessage()),
          e);
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "no message";
    }
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private void captureFolded(dev.crossalign.backend.TensorSink out) {
    for (int t : prepared.foldedOutputs()) {
      TensorInfo info = graph.tensor(t);
      out.accept(new dev.crossalign.backend.CapturedTensor(info.name(), prepared.producerOf(t), t,
          TorchTensors.toHost(prepared.constant(t), hostLayout(info, Layout.ANY))));
    }
  }

  private static Layout hostLayout(TensorInfo info, Layout valueLayout) {
    if (valueLayout == Layout.NCHW) {
      return Layout.NCHW;
    }
    return info.shape().length == 4 ? Layout.NHWC : Layout.ANY;
  }

  private boolean isGraphOutput(int t) {
    for (int o : graph.outputs()) {
      if (o == t) {
        return true;
      }
    }
    return false;
  }

  private Tensor toDevice(Tensor t) {
    return device.isCuda() ? t.to(TorchDevices.of(device), t.scalar_type()) : t;
  }

  /** Starts (clearing) or stops (null result) per-op timing of chained runs; returns the totals so far when stopping. */
  long[] profiling(boolean on) {
    long[] was = opNanos;
    opNanos = on ? new long[graph.operators().size()] : null;
    return was;
  }

  /** Whether the op at {@code index} runs each time (not folded, not unsupported). */
  boolean isLowered(int index) {
    return prepared.isLowered(index);
  }

  List<String> inputNames() {
    List<String> names = new ArrayList<>();
    for (int i : graph.inputs()) {
      names.add(graph.tensor(i).name());
    }
    return names;
  }

  void close() {
    prepared.close();
  }
}
