package dev.crossalign.port;

import dev.crossalign.CrossalignException;
import dev.crossalign.UnsupportedOp;
import dev.crossalign.backend.Device;
import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.BuiltinOp;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.MemoryFormat;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * What {@link PortGraph} runs, prepared once: every buffer constant converted to a libtorch tensor (TFLite axes, on
 * the device, rank 4 in channels-last memory), the constant subgraphs (DEQUANTIZE, DENSIFY of weights) folded, each
 * remaining op lowered to a {@link LoweredOp}, and the ops that cannot be lowered noted with their reasons. Owns the
 * prepared tensors ({@link #close}); not thread-safe.
 */
final class PreparedGraph {
  private final TfliteModel model;
  private final Subgraph graph;
  private final Device device;
  /** Tensor index -> constant value (TFLite axes, on the device), buffers and folded ops alike. */
  private final Map<Integer, Tensor> constants = new HashMap<>();
  /** Op index -> lowered op, for ops that run every time. */
  private final Map<Integer, LoweredOp> lowered = new LinkedHashMap<>();
  /** Folded op outputs, in op order, for reporting. */
  private final List<Integer> foldedOutputs = new ArrayList<>();
  private final Map<Integer, String> producer = new HashMap<>();
  private final Map<String, UnsupportedOp> unsupported = new LinkedHashMap<>();
  private final List<Tensor> owned = new ArrayList<>();
  /** Floating constants in double (the float64 truth). */
  private final boolean float64;

  PreparedGraph(TfliteModel model, Device device, OpRegistry registry, boolean float64) {
    this.float64 = float64;
    this.model = model;
    this.graph = model.main();
    this.device = device;
    for (Operator op : graph.operators()) {
      for (int o : op.outputs()) {
        producer.put(o, op.opName());
      }
    }
    prepare(registry);
  }

  private Tensor adopt(Tensor t) {
    if (float64 && t.is_floating_point()) {
      t = t.to(ScalarType.Double);
    }
    Tensor d = device.isCuda() ? t.to(TorchDevices.of(device), t.scalar_type()) : t;
    // rank-4 prepared tensors (conv weights above all) in channels-last memory: libtorch's CPU convs then run
    // channels-last end to end, 1.6x (1x1) to 4x (depthwise) faster than NCHW memory at these sizes
    Tensor c = d.dim() == 4 ? d.contiguous(MemoryFormat.ChannelsLast) : d.contiguous();
    // Prepared tensors outlive the PointerScope that PortBackend.open wraps around preparation; close() frees them.
    c.retainReference();
    owned.add(c);
    return c;
  }

  /** The constant value of a tensor (a buffer or a folded output), or null when it is computed at run time. */
  Tensor constant(int tensorIndex) {
    Tensor c = constants.get(tensorIndex);
    if (c != null) {
      return c;
    }
    TensorInfo info = graph.tensor(tensorIndex);
    if (HostTensor.numel(info.shape()) == 0 && !producer.containsKey(tensorIndex) && !isGraphInput(tensorIndex)
        && info.type() != null && info.type().dtype() != null) {
      // A zero-element constant (e.g. an empty axis list) has no buffer bytes, yet it is a constant.
      Tensor empty = adopt(TorchTensors.toTorch(HostTensor.of(info.type().dtype(), info.shape(), Layout.ANY, java.nio.ByteBuffer.allocate(0))));
      constants.put(tensorIndex, empty);
      return empty;
    }
    if (!model.isConstant(info) || info.sparsity() != null) {
      return null;
    }
    if (info.type() == null || info.type().dtype() == null) {
      return null;
    }
    Tensor t = TorchTensors.toTorch(model.constant(info));
    if (info.isQuantized()) {
      // Raw integer values; DEQUANTIZE applies the scale. Kept as int32 for that op.
      t = t.to(ScalarType.Int);
    }
    Tensor a = adopt(t);
    constants.put(tensorIndex, a);
    return a;
  }

  private void prepare(OpRegistry registry) {
    // All buffer constants become torch tensors now, so no run ever allocates one inside its PointerScope.
    for (Operator op : graph.operators()) {
      for (int in : op.inputs()) {
        if (in >= 0) {
          constant(in);
        }
      }
    }
    for (Operator op : graph.operators()) {
      OpLowering lowering = registry.find(op.opName());
      LoweringContext ctx =
          new LoweringContext(model, graph, op, device, this::constant, this::adopt);
      if (lowering == null) {
        String why =
            op.isCustom()
                ? "custom op with no port plug-in (add an OpLowering for '" + op.customCode() + "')"
                : "no lowering for this builtin op";
        note(op.opName(), why);
        continue;
      }
      LoweredOp lo;
      try {
        lo = lowering.lower(ctx);
      } catch (UnsupportedOpException e) {
        note(op.opName(), e.reason());
        continue;
      } catch (ClassCastException e) {
        // builtin_options of another op's type: TFLite reads such an op with default options, a lowering cannot
        throw CrossalignException.input("model " + model.label() + ": op #" + op.index() + " " + op.opName()
            + " carries builtin options of another kind (" + op.options().getClass().getSimpleName() + ")");
      }
      if (isFoldable(op)) {
        try {
          fold(op, lo);
          continue;
        } catch (UnsupportedOpException e) {
          note(op.opName(), e.reason());
          continue;
        }
      }
      lowered.put(op.index(), lo);
    }
  }

  private void note(String op, String reason) {
    unsupported.merge(op, new UnsupportedOp(op, 1, reason), (a, b) -> new UnsupportedOp(a.op(), a.count() + 1, a.reason()));
  }

  /** An op all of whose inputs are constants, and that is deterministic: evaluated once at prepare time. */
  private boolean isFoldable(Operator op) {
    if (op.isCustom() || op.builtin() == null) {
      return false;
    }
    if (!(op.builtin() == BuiltinOp.DEQUANTIZE || op.builtin() == BuiltinOp.DENSIFY)) {
      return false;
    }
    for (int in : op.inputs()) {
      if (in >= 0 && constant(in) == null && !(op.builtin() == BuiltinOp.DENSIFY && isSparseConstant(in))) {
        return false;
      }
    }
    return true;
  }

  /** A sparse buffer constant: it has no dense value of its own; DENSIFY decodes it from the model's bytes. */
  private boolean isSparseConstant(int tensorIndex) {
    TensorInfo info = graph.tensor(tensorIndex);
    return info.sparsity() != null && model.isConstant(info);
  }

  private void fold(Operator op, LoweredOp lo) {
    PortValue[] ins = new PortValue[op.inputs().length];
    for (int i = 0; i < ins.length; i++) {
      int t = op.inputs()[i];
      Tensor c = t < 0 ? null : constant(t);
      ins[i] = c == null ? null : PortValue.tf(c); // null also for a sparse constant DENSIFY reads itself
    }
    PortValue[] outs = lo.forward(ins);
    for (int k = 0; k < op.outputs().length; k++) {
      Tensor v = adopt(outs[k].tfTensor());
      constants.put(op.outputs()[k], v);
      foldedOutputs.add(op.outputs()[k]);
    }
  }

  List<UnsupportedOp> unsupported() {
    return List.copyOf(unsupported.values());
  }

  /** The lowered op at {@code index}, or null when it is folded or unsupported. */
  LoweredOp lowered(int index) {
    return lowered.get(index);
  }

  /** Whether the op at {@code index} runs each time (not folded, not unsupported). */
  boolean isLowered(int index) {
    return lowered.containsKey(index);
  }

  /** Folded op outputs, in op order. */
  List<Integer> foldedOutputs() {
    return foldedOutputs;
  }

  /** The op that produces tensor {@code t}, or "CONST". */
  String producerOf(int t) {
    return producer.getOrDefault(t, "CONST");
  }

  private boolean isGraphInput(int t) {
    for (int i : graph.inputs()) {
      if (i == t) {
        return true;
      }
    }
    return false;
  }

  void close() {
    for (Tensor t : owned) {
      t.close();
    }
    owned.clear();
    constants.clear();
    lowered.clear();
  }
}
