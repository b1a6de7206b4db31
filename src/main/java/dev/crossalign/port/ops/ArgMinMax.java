package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tensor.DType;
import java.util.Set;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * ARG_MAX / ARG_MIN over one constant axis (negative allowed), the axis dropped, output int32 or int64 as the output
 * tensor says. Ties give the first index in both TFLite and torch. Done in TFLite axis order so the remaining axes
 * keep TF's order.
 */
public final class ArgMinMax implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("ARG_MAX", "ARG_MIN");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean max = ctx.op().opName().equals("ARG_MAX");
    int rank = ctx.input(0).shape().length;
    int[] a = Axes.constInts(ctx, 1, "axis");
    if (a.length != 1) {
      throw ctx.unsupported("axis must hold one value, got " + a.length);
    }
    int axis = Axes.normalize(ctx, a[0], rank, "axis");
    DType outType = ctx.output(0).type().dtype();
    if (outType != DType.INT32 && outType != DType.INT64) {
      throw ctx.unsupported("output type " + ctx.output(0).type());
    }
    ScalarType st = outType == DType.INT32 ? ScalarType.Int : ScalarType.Long;
    return inputs -> {
      Tensor t = inputs[0].tfTensor();
      Tensor r = max ? t.argmax(new LongOptional(axis), false) : t.argmin(new LongOptional(axis), false);
      return new PortValue[] {Axes.fromTf(r.to(st))};
    };
  }
}
