package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

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
    int n = ctx.inputCount();
    if (n < 1) {
      throw ctx.unsupported("no inputs");
    }
    TensorType t = ctx.input(0).type();
    if (t != TensorType.FLOAT32 && t != TensorType.INT32) {
      throw ctx.unsupported("input type " + t);
    }
    for (int i = 0; i < n; i++) {
      if (!ctx.hasInput(i) || Axes.quantized(ctx, i) || ctx.input(i).type() != t
          || !Arrays.equals(ctx.input(i).shape(), ctx.input(0).shape())) {
        throw ctx.unsupported("input " + i + " is absent, quantized or differs in type or shape");
      }
    }
    return inputs -> {
      boolean allNchw = Arrays.stream(inputs).allMatch(PortValue::isNchw);
      Tensor acc = allNchw ? inputs[0].tensor() : inputs[0].tfTensor();
      for (int i = 1; i < inputs.length; i++) {
        acc = acc.add(allNchw ? inputs[i].tensor() : inputs[i].tfTensor());
      }
      return new PortValue[] {allNchw ? PortValue.nchw(acc) : Axes.fromTf(acc)};
    };
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
