package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import java.util.List;

/**
 * TOPK_V2 over the last axis with a constant k: values sorted descending and their int32 indices. Ties go to the
 * lower index first, as TFLite's TopContainer orders them; a stable descending sort gives exactly that (torch's
 * topk does not promise a tie order). float32 or int32 input.
 */
public final class TopK implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("TOPK_V2");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    check(ctx);
    long k = k(ctx, Axes.constInts(ctx, 1, "k"));
    return inputs -> {
      Tensor x = inputs[0].tfTensor();
      T_TensorTensor_T sorted = x.sort(new BoolOptional(true), -1, true);
      Tensor values = sorted.get0().narrow(-1, 0, k);
      Tensor indices = sorted.get1().narrow(-1, 0, k).to(ScalarType.Int);
      return new PortValue[] {Axes.fromTf(values), Axes.fromTf(indices)};
    };
  }

  /** Operand types and outputs, for the lowering and the code generation alike. */
  private static void check(OpView v) {
    if (Axes.quantized(v, 0) || v.output(0).isQuantized()) {
      throw v.unsupported("quantized input");
    }
    TensorType t = v.input(0).type();
    if (t != TensorType.FLOAT32 && t != TensorType.INT32) {
      throw v.unsupported("input type " + t);
    }
    if (v.op().outputs().length != 2 || v.output(1).type() != TensorType.INT32) {
      throw v.unsupported("expects values and int32 indices outputs");
    }
    if (v.input(0).shape().length < 1) {
      throw v.unsupported("rank-0 input");
    }
  }

  /** k from its constant values: one value within the last axis. */
  private static int k(OpView v, int[] kv) {
    int[] shape = v.input(0).shape();
    if (kv.length != 1 || kv[0] < 0 || kv[0] > shape[shape.length - 1]) {
      throw v.unsupported("k must be one value in [0, " + shape[shape.length - 1] + "]");
    }
    return kv[0];
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    check(p);
    int k = k(p, java.util.Arrays.stream(p.ints(1, "k")).mapToInt(Math::toIntExact).toArray());
    String values = p.temp("sorted_values");
    String indices = p.temp("sorted_indices");
    // a stable descending sort: ties keep the lower index first, as TFLite's TopContainer orders them
    p.line(values + ", " + indices + " = torch.sort(" + p.tf(0) + ", dim=-1, descending=True, stable=True)");
    int rank = p.outShape(0).length;
    Axes.emitFromTf(p, 0, values + ".narrow(-1, 0, " + k + ")", rank);
    Axes.emitFromTf(p, 1, indices + ".narrow(-1, 0, " + k + ").int()", rank);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /**
   * TOPK_V2 with a constant k: ONNX TopK (largest, sorted; equal values keep the lower index first, as in TFLite)
   * over the last TFLite axis, indices cast to int32.
   */
  @Override
  public void exportOnnx(OnnxOp s) {
    long[] k = s.constInts(1);
    if (k.length != 1) {
      throw s.refuse("k must be a single value");
    }
    if (s.outInfo(1).type() != TensorType.INT32) {
      throw s.refuse("indices type " + s.outInfo(1).type());
    }
    String values = s.outTf(0);
    String idx64 = s.tmp("indices_i64");
    s.node("TopK", List.of(s.tf(0), s.i64(k[0])), List.of(values, idx64),
        OnnxGraphBuilder.attrs().putInt("axis", -1).putInt("largest", 1).putInt("sorted", 1));
    s.node("Cast", List.of(idx64), List.of(s.outTf(1)),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(DType.INT32)));
  }
}
