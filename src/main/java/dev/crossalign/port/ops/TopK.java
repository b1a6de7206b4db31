package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.T_TensorTensor_T;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

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
    if (Axes.quantized(ctx, 0) || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized input");
    }
    TensorType t = ctx.input(0).type();
    if (t != TensorType.FLOAT32 && t != TensorType.INT32) {
      throw ctx.unsupported("input type " + t);
    }
    if (ctx.op().outputs().length != 2 || ctx.output(1).type() != TensorType.INT32) {
      throw ctx.unsupported("expects values and int32 indices outputs");
    }
    int[] shape = ctx.input(0).shape();
    if (shape.length < 1) {
      throw ctx.unsupported("rank-0 input");
    }
    int[] kv = Axes.constInts(ctx, 1, "k");
    if (kv.length != 1 || kv[0] < 0 || kv[0] > shape[shape.length - 1]) {
      throw ctx.unsupported("k must be one value in [0, " + shape[shape.length - 1] + "]");
    }
    long k = kv[0];
    return inputs -> {
      Tensor x = inputs[0].tfTensor();
      T_TensorTensor_T sorted = x.sort(new BoolOptional(true), -1, true);
      Tensor values = sorted.get0().narrow(-1, 0, k);
      Tensor indices = sorted.get1().narrow(-1, 0, k).to(ScalarType.Int);
      return new PortValue[] {Axes.fromTf(values), Axes.fromTf(indices)};
    };
  }
}
