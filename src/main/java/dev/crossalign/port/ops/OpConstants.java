package dev.crossalign.port.ops;

import dev.crossalign.backend.torch.TorchTensors;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.tensor.Layout;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Tensor;

/** Reads small constant operands (sizes, paddings) at prepare time and builds index tensors the port owns. */
final class OpConstants {
  /** TFLite NHWC axis -> NCHW axis: n->0, h->2, w->3, c->1. */
  static final int[] NHWC_TO_NCHW = {0, 2, 3, 1};

  private OpConstants() {}

  /** The integer values of constant input {@code i}; unsupported when it is computed at run time. */
  static long[] ints(LoweringContext ctx, int i, String what) {
    Tensor t = ctx.constant(i);
    if (t == null) {
      throw ctx.unsupported(what + " computed at run time");
    }
    return TorchTensors.toHost(t, Layout.ANY).toLongArray();
  }

  /** An int64 index tensor on the port's device. */
  static Tensor index(LoweringContext ctx, long[] values) {
    return ctx.prepared(AbstractTensor.create(values, values.length));
  }

  /** A float32 tensor of the given shape on the port's device. */
  static Tensor floats(LoweringContext ctx, float[] values, long... shape) {
    return ctx.prepared(AbstractTensor.create(values, shape));
  }
}
