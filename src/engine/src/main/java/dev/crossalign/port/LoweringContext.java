package dev.crossalign.port;

import dev.crossalign.backend.Device;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.Subgraph;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TfliteModel;
import java.util.function.Function;
import java.util.function.IntFunction;
import org.bytedeco.pytorch.Tensor;

/** What a lowering may look at while it prepares one operator. */
public final class LoweringContext implements OpView {
  private final TfliteModel model;
  private final Subgraph graph;
  private final Operator op;
  private final Device device;
  private final IntFunction<Tensor> constants;
  private final Function<Tensor, Tensor> adopt;

  LoweringContext(
      TfliteModel model,
      Subgraph graph,
      Operator op,
      Device device,
      IntFunction<Tensor> constants,
      Function<Tensor, Tensor> adopt) {
    this.model = model;
    this.graph = graph;
    this.op = op;
    this.device = device;
    this.constants = constants;
    this.adopt = adopt;
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
    return hasInput(i) ? constants.apply(op.inputs()[i]) : null;
  }

  public boolean isConstant(int i) {
    return constant(i) != null;
  }

  /**
   * Takes a tensor the lowering prepared (permuted weights, a bias) into the port's ownership: it is moved to the
   * device, made contiguous, and freed when the port closes. Use the returned tensor.
   */
  public Tensor prepared(Tensor t) {
    return adopt.apply(t);
  }

  public UnsupportedOpException unsupported(String reason) {
    return new UnsupportedOpException(op.opName(), reason);
  }
}
