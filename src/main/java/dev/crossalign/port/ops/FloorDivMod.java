package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * FLOOR_DIV and FLOOR_MOD over float32 / int32 with numpy broadcasting, TF semantics for negative operands, as
 * TFLite's kernels compute them. FLOOR_DIV: floor(double(x) / double(y)) converted back (also for float32: dividing
 * in float first could round a quotient just below an integer up to it). FLOOR_MOD: m = fmod(x, y) (C truncated
 * remainder; integer % for int32), then m + y where m != 0 and sign(m) != sign(y). Division by an integer zero is
 * an error in TFLite and is not checked here.
 */
public final class FloorDivMod implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("FLOOR_DIV", "FLOOR_MOD");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean div = ctx.op().opName().equals("FLOOR_DIV");
    if (ctx.inputCount() != 2 || !ctx.hasInput(0) || !ctx.hasInput(1)) {
      throw ctx.unsupported("expects two inputs");
    }
    if (Axes.quantized(ctx, 0) || Axes.quantized(ctx, 1) || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized operands");
    }
    TensorType t = ctx.input(0).type();
    if (t != ctx.input(1).type() || (t != TensorType.FLOAT32 && t != TensorType.INT32)) {
      throw ctx.unsupported("operand types " + t + " and " + ctx.input(1).type());
    }
    ScalarType st = t == TensorType.INT32 ? ScalarType.Int : ScalarType.Float;
    return inputs -> {
      Broadcast bc = Broadcast.of(inputs[0], inputs[1]);
      Tensor a = bc.a();
      Tensor b = bc.b();
      Tensor r;
      if (div) {
        r = a.to(ScalarType.Double).div(b.to(ScalarType.Double)).floor().to(st);
      } else {
        Tensor m = torch.fmod(a, b);
        Scalar zero = new Scalar(0.0);
        Tensor fix = m.ne(zero).logical_and(b.lt(zero).ne(m.lt(zero)));
        r = m.add(b).where(fix, m);
      }
      return new PortValue[] {bc.wrap(r)};
    };
  }
}
