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
 *
 * <p>With {@code deferWeights} (the TorchScript path, where the generated module holds weights of its own and the eager
 * lowerings run only for ops without code generation) the ops are lowered and judged as always, but the constants and
 * the weights the lowerings prepare ({@link LoweringContext#preparedLater}) are made on first use, or all at once by
 * {@link #materialize}: issue 16, the eager copies of every weight cost pose_landmark_heavy ~0.4 s of CPU that nothing
 * read.
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
  /** The lowerings' deferred weights not yet made ({@link LoweringContext#preparedLater}); empty once materialized. */
  private final List<java.util.function.Supplier<Tensor>> deferred = new ArrayList<>();
  private boolean materialized;
  /** Deferred DEQUANTIZE folds by output tensor, in op order; each made on first use of an output. */
  private final Map<Integer, PendingFold> pendingFolds = new LinkedHashMap<>();

  private record PendingFold(Operator op, LoweredOp lowered) {}

  PreparedGraph(TfliteModel model, Device device, OpRegistry registry, boolean float64, boolean deferWeights) {
    this.float64 = float64;
    this.model = model;
    this.graph = model.main();
    this.device = device;
    this.materialized = !deferWeights;
    for (Operator op : graph.operators()) {
      for (int o : op.outputs()) {
        producer.put(o, op.opName());
      }
    }
    prepare(registry);
  }

  /**
   * Makes every constant and deferred weight now (a no-op unless weights were deferred and some are still unmade), so
   * that no later run allocates one inside its PointerScope: the eager path's state after preparation.
   */
  void materialize() {
    if (materialized) {
      return;
    }
    materialized = true;
    makeConstants();
    for (int t : List.copyOf(pendingFolds.keySet())) {
      constant(t);
    }
    deferred.forEach(java.util.function.Supplier::get);
    deferred.clear();
  }

  /** Bytes of the libtorch tensors this holds (constants, folds, prepared weights). */
  long heldBytes() {
    long sum = 0;
    for (Tensor t : owned) {
      sum += t.nbytes();
    }
    return sum;
  }

  /** Whether {@link #materialize} has nothing left to make. */
  boolean isMaterialized() {
    return materialized;
  }

  /** {@code make}'s tensor, made now, or on first get() when weights are deferred; once either way. */
  java.util.function.Supplier<Tensor> later(java.util.function.Supplier<Tensor> make) {
    if (materialized) {
      Tensor now = make.get();
      return () -> now;
    }
    java.util.function.Supplier<Tensor> once = new java.util.function.Supplier<>() {
      private Tensor made;

      @Override
      public Tensor get() {
        if (made == null) {
          made = make.get();
        }
        return made;
      }
    };
    deferred.add(once);
    return once;
  }

  Tensor adopt(Tensor t) {
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

  /**
   * Whether {@link #constant} has a value for the tensor, without making it: a buffer constant or a folded output
   * (folds are made in op order, so an op's lowering sees its inputs' folds).
   */
  boolean isConstant(int tensorIndex) {
    if (constants.containsKey(tensorIndex) || pendingFolds.containsKey(tensorIndex)) {
      return true;
    }
    TensorInfo info = graph.tensor(tensorIndex);
    return isEmptyConstant(tensorIndex, info) || isBufferConstant(info);
  }

  /** A zero-element constant (e.g. an empty axis list): it has no buffer bytes, yet it is a constant. */
  private boolean isEmptyConstant(int tensorIndex, TensorInfo info) {
    return HostTensor.numel(info.shape()) == 0 && !producer.containsKey(tensorIndex) && !isGraphInput(tensorIndex)
        && info.type() != null && info.type().dtype() != null;
  }

  private boolean isBufferConstant(TensorInfo info) {
    return model.isConstant(info) && info.sparsity() == null && info.type() != null && info.type().dtype() != null;
  }

  /** The constant value of a tensor (a buffer or a folded output), or null when it is computed at run time. */
  Tensor constant(int tensorIndex) {
    Tensor c = constants.get(tensorIndex);
    if (c != null) {
      return c;
    }
    PendingFold f = pendingFolds.get(tensorIndex);
    if (f != null) {
      fold(f.op(), f.lowered());
      return constants.get(tensorIndex);
    }
    TensorInfo info = graph.tensor(tensorIndex);
    if (isEmptyConstant(tensorIndex, info)) {
      Tensor empty = adopt(TorchTensors.toTorch(HostTensor.of(info.type().dtype(), info.shape(), Layout.ANY, java.nio.ByteBuffer.allocate(0))));
      constants.put(tensorIndex, empty);
      return empty;
    }
    if (!isBufferConstant(info)) {
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

  /** Every op input's constant as a torch tensor (made once; folded outputs are made by their folds). */
  private void makeConstants() {
    for (Operator op : graph.operators()) {
      for (int in : op.inputs()) {
        if (in >= 0) {
          constant(in);
        }
      }
    }
  }

  private void prepare(OpRegistry registry) {
    // All buffer constants become torch tensors now (unless deferred), so no run ever allocates one inside its
    // PointerScope.
    if (materialized) {
      makeConstants();
    }
    for (Operator op : graph.operators()) {
      OpLowering lowering = registry.find(op.opName());
      LoweringContext ctx = new LoweringContext(model, graph, op, device, this);
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
        if (!materialized && op.builtin() == BuiltinOp.DEQUANTIZE) {
          // made on first use (constant()): a DEQUANTIZE of constants is arithmetic on their values and cannot refuse
          for (int o : op.outputs()) {
            pendingFolds.put(o, new PendingFold(op, lo));
            foldedOutputs.add(o);
          }
          continue;
        }
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
      if (in >= 0 && !isConstant(in) && !(op.builtin() == BuiltinOp.DENSIFY && isSparseConstant(in))) {
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
      if (!pendingFolds.containsKey(op.outputs()[k])) {
        foldedOutputs.add(op.outputs()[k]);
      }
    }
    for (int o : op.outputs()) {
      pendingFolds.remove(o);
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
    deferred.clear();
    pendingFolds.clear();
    for (Tensor t : owned) {
      t.close();
    }
    owned.clear();
    constants.clear();
    lowered.clear();
  }
}
