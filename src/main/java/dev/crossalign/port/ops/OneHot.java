package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tensor.DType;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * ONE_HOT with a constant depth: out = (indices == j) ? on_value : off_value along the new axis (options axis, -1 =
 * last). Indices outside [0, depth), negatives included, give an all-off row, as in TFLite (ONNX's OneHot would wrap
 * negatives instead). on / off may be constant or run-time scalars; float32, int32 or bool output. Exact.
 */
public final class OneHot implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("ONE_HOT");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    DType it = ctx.input(0).type().dtype();
    if (it != DType.INT32 && it != DType.INT64) {
      throw ctx.unsupported("indices of type " + ctx.input(0).type());
    }
    TensorType out = ctx.output(0).type();
    if (ctx.output(0).isQuantized()
        || (out != TensorType.FLOAT32 && out != TensorType.INT32 && out != TensorType.BOOL)) {
      throw ctx.unsupported("output type " + out + (ctx.output(0).isQuantized() ? " (quantized)" : ""));
    }
    int[] d = Axes.constInts(ctx, 1, "depth");
    if (d.length != 1 || d[0] < 0) {
      throw ctx.unsupported("depth must be one non-negative value");
    }
    int depth = d[0];
    int rank = ctx.input(0).shape().length;
    int axisOpt = ctx.op().options() instanceof OpOptions.OneHot o ? o.axis() : -1;
    int axis = axisOpt == -1 ? rank : Axes.normalize(ctx, axisOpt, rank + 1, "axis");
    long[] rangeShape = new long[rank + 1];
    java.util.Arrays.fill(rangeShape, 1);
    rangeShape[axis] = depth;
    long[] range = new long[depth];
    for (int j = 0; j < depth; j++) {
      range[j] = j;
    }
    Tensor r = ctx.prepared(AbstractTensor.create(range).reshape(rangeShape));
    return inputs -> {
      Tensor ind = inputs[0].tfTensor().to(ScalarType.Long).unsqueeze(axis);
      Tensor on = inputs[2].tfTensor().reshape();
      Tensor off = inputs[3].tfTensor().reshape();
      Tensor y = on.where(ind.eq(r), off);
      return new PortValue[] {Axes.fromTf(y)};
    };
  }
}
