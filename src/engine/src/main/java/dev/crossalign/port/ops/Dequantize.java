package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.Quantization;
import dev.crossalign.tflite.TensorInfo;
import dev.crossalign.tflite.TensorType;
import java.util.Set;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * DEQUANTIZE. FLOAT16 input: the port already holds fp16 as float32, which is exact, so the op is the identity.
 * INT8 / UINT8 / INT16 input: (q - zero_point) * scale in float32, per tensor or per channel along
 * quantized_dimension. TFLite multiplies the integer by the float scale (in double for the per-tensor path, then rounds
 * to float); an integer below 2^24 times a float is exact in double, so both round the same exact product and the
 * results are bit-identical.
 */
public final class Dequantize implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("DEQUANTIZE");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    TensorInfo in = ctx.input(0);
    if (ctx.output(0).type() != TensorType.FLOAT32) {
      throw ctx.unsupported("output type " + ctx.output(0).type() + " (only float32 is lowered)");
    }
    if (in.type() == TensorType.FLOAT16) {
      return inputs -> new PortValue[] {inputs[0]};
    }
    if (in.type() != TensorType.INT8 && in.type() != TensorType.UINT8 && in.type() != TensorType.INT16) {
      throw ctx.unsupported("input type " + in.type());
    }
    Quantization q = checkedQuantization(ctx, in);
    int rank = in.shape().length;
    float[] scale = q.scale();
    long[] zp = q.zeroPoint();
    int axis = q.quantizedDimension();
    boolean perChannel = scale.length > 1;
    // Scale and zero point shaped to broadcast along the quantized axis (TFLite axes).
    long[] bshape = new long[Math.max(rank, 1)];
    java.util.Arrays.fill(bshape, 1);
    if (perChannel) {
      bshape[axis] = scale.length;
    }
    float[] zpf = new float[scale.length];
    for (int i = 0; i < zpf.length; i++) {
      zpf[i] = zp.length == 0 ? 0f : (float) zp[i];
    }
    Tensor scaleT = perChannel ? ctx.prepared(AbstractTensor.create(scale, bshape)) : null;
    Tensor zpT = perChannel ? ctx.prepared(AbstractTensor.create(zpf, bshape)) : null;
    // A Scalar holding a float's exact double value: torch applies it to a float32 tensor in float32.
    Scalar scale0 = new Scalar((double) scale[0]);
    Scalar zp0 = new Scalar((double) zpf[0]);
    return inputs -> {
      PortValue v = inputs[0];
      // Integers below 2^24 are exact in float32, so q - zp is exact before the one rounding multiply.
      Tensor f = v.tensor().to(ScalarType.Float);
      Tensor y;
      if (perChannel) {
        Tensor s = v.isNchw() ? PortValue.toNchw(scaleT) : scaleT;
        Tensor z = v.isNchw() ? PortValue.toNchw(zpT) : zpT;
        y = f.sub(z).mul(s);
      } else {
        y = f.sub(zp0).mul(scale0);
      }
      return new PortValue[] {new PortValue(y, v.layout())};
    };
  }

  /** The input's quantization, refused unless it has scales, matching zero points and a valid per-channel axis. */
  private static Quantization checkedQuantization(LoweringContext ctx, TensorInfo in) {
    Quantization q = in.quantization();
    if (q == null || !q.isQuantized()) {
      throw ctx.unsupported("integer input without quantization parameters");
    }
    int rank = in.shape().length;
    float[] scale = q.scale();
    long[] zp = q.zeroPoint();
    if (zp.length != 0 && zp.length != scale.length) {
      throw ctx.unsupported("zero_point count " + zp.length + " differs from scale count " + scale.length);
    }
    int axis = q.quantizedDimension();
    if (scale.length > 1 && (axis < 0 || axis >= rank)) {
      throw ctx.unsupported("quantized_dimension " + axis + " outside rank " + rank);
    }
    if (scale.length > 1 && in.shape()[axis] != scale.length) {
      throw ctx.unsupported("per-channel scale count " + scale.length + " differs from dimension " + axis + " size "
          + in.shape()[axis]);
    }
    return q;
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** A DEQUANTIZE of a constant is folded into the weight by the exporter; what reaches here is a Cast. */
  @Override
  public void exportOnnx(OnnxOp s) {
    Cast.onnxCast(s);
  }
}
