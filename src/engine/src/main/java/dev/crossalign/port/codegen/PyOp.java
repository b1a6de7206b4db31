package dev.crossalign.port.codegen;

import dev.crossalign.port.OpView;
import dev.crossalign.port.UnsupportedOpException;
import dev.crossalign.tensor.DType;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tensor.Layout;
import dev.crossalign.tflite.Operator;
import dev.crossalign.tflite.TensorInfo;

/**
 * What an op family sees while it writes one TFLite operator as PyTorch code: the op, its tensors and options, the
 * value of its constant inputs (weights already folded to float32), the Python expressions of its run-time inputs,
 * and where it writes its forward lines and registers its weights. The generated code's convention: every rank-4
 * run-time value is held NCHW (the TFLite tensor's NHWC axes permuted), every other rank in TFLite's own axes; an op
 * must assign each of its outputs ({@link #out}) in that convention.
 */
public final class PyOp implements OpView {
  private final GenState state;
  private final Operator op;

  /** Whether unbounded fused activations clamp float32 results to the finite range (the torch backend's module). */
  public boolean clampOverflow() {
    return state.clampOverflow;
  }

  PyOp(GenState state, Operator op) {
    this.state = state;
    this.op = op;
  }

  public Operator op() {
    return op;
  }

  public String opName() {
    return op.opName();
  }

  public int inputCount() {
    return op.inputs().length;
  }

  public boolean hasInput(int i) {
    return i < op.inputs().length && op.inputs()[i] >= 0;
  }

  public TensorInfo input(int i) {
    return state.graph.tensor(op.inputs()[i]);
  }

  public TensorInfo output(int k) {
    return state.graph.tensor(op.outputs()[k]);
  }

  public int[] inShape(int i) {
    return input(i).shape();
  }

  public int[] outShape(int k) {
    return output(k).shape();
  }

  /**
   * The value of input {@code i} when it is known before any run (a buffer, or a folded DEQUANTIZE / DENSIFY of
   * weights), in TFLite axes, float32 for every float type; null when it is computed at run time.
   */
  public HostTensor constant(int i) {
    return hasInput(i) ? state.constant(op.inputs()[i]) : null;
  }

  public boolean isConstant(int i) {
    return constant(i) != null;
  }

  /** The integer values of constant input {@code i} (sizes, axes, paddings); refused when computed at run time. */
  public long[] ints(int i, String what) {
    HostTensor c = constant(i);
    if (c == null) {
      throw unsupported(what + " computed at run time");
    }
    if (c.dtype().isFloating()) {
      throw unsupported(what + " must be integers, got " + c.dtype());
    }
    return c.toLongArray();
  }

  /**
   * Input {@code i} as a Python expression in the generated convention (rank 4: NCHW). A constant input becomes a
   * registered tensor named after its TFLite tensor (permuted to NCHW when rank 4).
   */
  public String value(int i) {
    int t = op.inputs()[i];
    HostTensor c = state.constant(t);
    if (c != null) {
      HostTensor held = c.rank() == 4 ? c.permute(Layout.nhwcToNchw(), Layout.NCHW) : c;
      return weight(i, c.rank() == 4 ? "nchw" : "", held, c.dtype() == DType.FLOAT32);
    }
    return state.var(t);
  }

  /** Input {@code i} in TFLite axes (a rank-4 value permuted back to NHWC). */
  public String tf(int i) {
    int t = op.inputs()[i];
    HostTensor c = state.constant(t);
    if (c != null) {
      return weight(i, "", c, c.dtype() == DType.FLOAT32);
    }
    String v = state.var(t);
    return input(i).shape().length == 4 ? v + ".permute(0, 2, 3, 1)" : v;
  }

  /**
   * Registers a tensor derived from constant input {@code i} (e.g. a filter permuted to OIHW) under a name derived
   * from the TFLite tensor's; {@code tag} tells derived forms apart. The same (input, tag) registers once.
   */
  public String weight(int i, String tag, HostTensor value, boolean parameter) {
    TensorInfo t = input(i);
    return state.register(t.index() + ":" + tag, t.name(), tag, value, parameter,
        "TFLite tensor #" + t.index() + (tag.isEmpty() ? "" : " (" + tag + ")"));
  }

  /** Registers a buffer computed for this op (index tables, count maps), named after its first output. */
  public String table(String tag, HostTensor value) {
    TensorInfo t = output(0);
    return state.register("op" + op.index() + ":" + tag, t.name(), tag, value, false,
        opName() + " #" + op.index() + " " + tag);
  }

  /** The variable that output {@code k} is assigned to. */
  public String out(int k) {
    return state.var(op.outputs()[k]);
  }

  /** A fresh local name for a temporary of this op. */
  public String temp(String hint) {
    return state.temp(hint);
  }

  /** Appends one forward line (no indentation, no trailing comment: the generator adds both). */
  public void line(String code) {
    state.lines.add(code);
  }

  public UnsupportedOpException unsupported(String reason) {
    return new UnsupportedOpException(op.opName(), reason);
  }
}
