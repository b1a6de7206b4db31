package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
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

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.Unpack o = (OpOptions.Unpack) p.op().options();
    int[] shape = p.inShape(0);
    if (o.axis() < -shape.length || o.axis() >= shape.length) {
      throw p.unsupported("axis " + o.axis() + " for rank " + shape.length);
    }
    int axis = o.axis() < 0 ? o.axis() + shape.length : o.axis();
    int num = p.op().outputs().length;
    if (shape[axis] != num || (o.num() != 0 && o.num() != num)) {
      throw p.unsupported("num " + o.num() + " / " + num + " outputs for an axis of size " + shape[axis]);
    }
    String x = p.tf(0);
    for (int k = 0; k < num; k++) {
      Axes.emitFromTf(p, k, x + ".select(" + axis + ", " + k + ")", shape.length - 1);
    }
  }
}
