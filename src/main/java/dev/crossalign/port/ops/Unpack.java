package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tflite.OpOptions;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;

/** UNPACK: num outputs, each one index of the (possibly negative) axis, that axis dropped; TFLite axis order. */
public final class Unpack implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("UNPACK");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Unpack o = (OpOptions.Unpack) ctx.op().options();
    int[] shape = ctx.input(0).shape();
    int axis = Axes.normalize(ctx, o.axis(), shape.length, "axis");
    int num = ctx.op().outputs().length;
    if (shape[axis] != num || (o.num() != 0 && o.num() != num)) {
      throw ctx.unsupported("num " + o.num() + " / " + num + " outputs for an axis of size " + shape[axis]);
    }
    return inputs -> {
      Tensor t = inputs[0].tfTensor();
      PortValue[] out = new PortValue[num];
      for (int i = 0; i < num; i++) {
        out[i] = Axes.fromTf(t.select(axis, i));
      }
      return out;
    };
  }
}
