package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * ADD_N: the elementwise sum of N inputs of one shape (no broadcasting, as TFLite requires), added left to right
 * like TFLite's single-threaded kernel. float32 or int32.
 */
public final class AddN implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("ADD_N");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    check(ctx);
    return inputs -> {
      boolean allNchw = Arrays.stream(inputs).allMatch(PortValue::isNchw);
      Tensor acc = allNchw ? inputs[0].tensor() : inputs[0].tfTensor();
      for (int i = 1; i < inputs.length; i++) {
        acc = acc.add(allNchw ? inputs[i].tensor() : inputs[i].tfTensor());
      }
      return new PortValue[] {allNchw ? PortValue.nchw(acc) : Axes.fromTf(acc)};
    };
  }

  /** N >= 1 present inputs of one type (float32 or int32) and one shape, for the lowering and the code generation. */
  private static void check(OpView v) {
    int n = v.inputCount();
    if (n < 1) {
      throw v.unsupported("no inputs");
    }
    TensorType t = v.input(0).type();
    if (t != TensorType.FLOAT32 && t != TensorType.INT32) {
      throw v.unsupported("input type " + t);
    }
    for (int i = 0; i < n; i++) {
      if (!v.hasInput(i) || Axes.quantized(v, i) || v.input(i).type() != t
          || !Arrays.equals(v.input(i).shape(), v.input(0).shape())) {
        throw v.unsupported("input " + i + " is absent, quantized or differs in type or shape");
      }
    }
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    check(p);
    StringBuilder sum = new StringBuilder(p.value(0));
    for (int i = 1; i < p.inputCount(); i++) {
      sum.append(" + ").append(p.value(i)); // left to right, as TFLite's kernel adds
    }
    p.line(p.out(0) + " = " + sum);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** Left-to-right Adds (TFLite's single-threaded order); all inputs have the output's shape. */
  @Override
  public void exportOnnx(OnnxOp s) {
    int n = s.inputCount();
    if (n == 1) {
      s.node("Identity", List.of(s.x(0)), List.of(s.out(0)));
      return;
    }
    String acc = s.x(0);
    for (int i = 1; i < n; i++) {
      String next = i == n - 1 ? s.out(0) : s.tmp("acc" + i);
      s.node("Add", List.of(acc, s.x(i)), List.of(next));
      acc = next;
    }
  }
}
