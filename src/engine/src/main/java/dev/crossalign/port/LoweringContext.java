package dev.crossalign.port;

import dev.crossalign.backend.Device;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.bytedeco.pytorch.Tensor;

/** What a lowering may look at while it prepares one operator. */
public final class LoweringContext implements OpView {
  private final TfliteModel model;
  private final Subgraph graph;
  private final Operator op;
  private final Device device;
  private final PreparedGraph prepared;

  LoweringContext(TfliteModel model, Subgraph graph, Operator op, Device device, PreparedGraph prepared) {
    this.model = model;
    this.graph = graph;
    this.op = op;
    this.device = device;
    this.prepared = prepared;
  }

  public TfliteModel model() {
    return model;
  }

  public Subgraph graph() {
    return graph;
  }

  public Operator op() {
    return op;
  }

  public Device device() {
    return device;
  }

  public int inputCount() {
    return op.inputs().length;
  }

  /** True when input {@code i} is present (not the -1 "absent optional input" marker). */
  public boolean hasInput(int i) {
    return i < op.inputs().length && op.inputs()[i] >= 0;
  }

  public TensorInfo input(int i) {
    return graph.tensor(op.inputs()[i]);
  }

  public TensorInfo output(int i) {
    return graph.tensor(op.outputs()[i]);
  }

  /**
   * The value of input {@code i} when it is known before any run (a buffer constant or the folded output of a
   * constant subgraph such as DEQUANTIZE of fp16 weights), in TFLite axis order and float32 for float types; null
   * when the input is computed at run time.
   */
  public Tensor constant(int i) {
    return hasInput(i) ? prepared.constant(op.inputs()[i]) : null;
  }

  /** Whether {@link #constant} has a value for input {@code i}; answered without making that value. */
  public boolean isConstant(int i) {
    return hasInput(i) && prepared.isConstant(op.inputs()[i]);
  }

  /**
   * {@code prepare} of input {@code i}'s constant value (a permuted filter, a bias), taken into the port's ownership
   * as {@link #prepared} does: made now on the eager path, on the first {@code get()} (or when the port makes every
   * weight) where weights are deferred (the TorchScript path, whose eager lowerings may never run). Input {@code i}
   * must be a constant ({@link #isConstant}); call {@code get()} in the lowered op's forward, not at lowering time.
   */
  public Supplier<Tensor> preparedLater(int i, UnaryOperator<Tensor> prepare) {
    int t = op.inputs()[i];
    return prepared.later(() -> prepared.adopt(prepare.apply(prepared.constant(t))));
  }

  /**
   * Takes a tensor the lowering prepared (permuted weights, a bias) into the port's ownership: it is moved to the
   * device, made contiguous, and freed when the port closes. Use the returned tensor.
   */
  public Tensor prepared(Tensor t) {
    return prepared.adopt(t);
  }

  public UnsupportedOpException unsupported(String reason) {
    return new UnsupportedOpException(op.opName(), reason);
  }
}
