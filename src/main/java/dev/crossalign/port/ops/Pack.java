package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tflite.OpOptions;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRef;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** PACK: values_count equal-shaped inputs stacked on a new axis (in [-rank-1, rank]), in TFLite axis order. */
public final class Pack implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("PACK");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Pack o = (OpOptions.Pack) ctx.op().options();
    int n = ctx.inputCount();
    if (o.valuesCount() != n) {
      throw ctx.unsupported("values_count " + o.valuesCount() + " but " + n + " inputs");
    }
    for (int i = 0; i < n; i++) {
      if (!ctx.hasInput(i)) {
        throw ctx.unsupported("input " + i + " is absent");
      }
    }
    int rank = ctx.input(0).shape().length;
    int axis = Axes.normalize(ctx, o.axis(), rank + 1, "axis");
    return inputs -> {
      Tensor[] ts = new Tensor[n];
      for (int i = 0; i < n; i++) {
        ts[i] = inputs[i].tfTensor().unsqueeze(axis);
      }
      TensorVector vec = new TensorVector(ts);
      return new PortValue[] {Axes.fromTf(torch.cat(new TensorArrayRef(vec), axis))};
    };
  }
}
