package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * SOFTMAX (beta) and LOG_SOFTMAX over TFLite's last axis, which is axis 1 of an NCHW value. The arithmetic follows
 * TFLite's float kernel: e = exp((x - max) * beta), out = e * (1 / sum(e)); log-softmax (x - max) - log(sum(exp(x -
 * max))).
 */
public final class Softmax implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SOFTMAX", "LOG_SOFTMAX");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean log = ctx.op().opName().equals("LOG_SOFTMAX");
    if (ctx.input(0).type() != TensorType.FLOAT32 || ctx.input(0).isQuantized() || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("only float32 is lowered");
    }
    if (ctx.input(0).shape().length < 1) {
      throw ctx.unsupported("scalar input");
    }
    float beta = ctx.op().options() instanceof OpOptions.Softmax s ? s.beta() : 1f;
    return inputs -> {
      PortValue in = inputs[0];
      Tensor x = in.tensor();
      long axis = in.isNchw() ? 1 : x.dim() - 1;
      long[] dims = {axis};
      Tensor shifted = x.sub(x.amax(dims, true));
      Tensor y;
      if (log) {
        y = shifted.sub(shifted.exp().sum(dims, true, new org.bytedeco.pytorch.ScalarTypeOptional()).log());
      } else {
        Tensor e = (beta == 1f ? shifted : shifted.mul(new Scalar((double) beta))).exp();
        Tensor inv = e.sum(dims, true, new org.bytedeco.pytorch.ScalarTypeOptional()).reciprocal();
        y = e.mul(inv);
      }
      return new PortValue[] {new PortValue(y, in.layout())};
    };
  }
}
