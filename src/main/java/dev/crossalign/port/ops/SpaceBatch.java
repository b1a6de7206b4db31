package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on rank-4 NHWC values with two spatial block dims, constant block_shape
 * [2] and paddings / crops [2, 2] (what older converters wrap around dilated convolutions). Pure data movement done
 * in TFLite axes, as TFLite's reference kernel lays it out: output batch index = (bh_i * block_w + bw_i) * batch + b.
 * SPACE_TO_BATCH pads with 0 (float; TFLite pads with the output zero point, 0 for float).
 */
public final class SpaceBatch implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean toBatch = ctx.op().opName().equals("SPACE_TO_BATCH_ND");
    if (Axes.quantized(ctx, 0) || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized input or output");
    }
    TensorType t = ctx.input(0).type();
    if (t != TensorType.FLOAT32 && t != TensorType.INT32) {
      throw ctx.unsupported("input type " + t);
    }
    int[] in = ctx.input(0).shape();
    if (in.length != 4) {
      throw ctx.unsupported("rank " + in.length + " input (only rank 4 NHWC is lowered)");
    }
    int[] block = Axes.constInts(ctx, 1, "block_shape");
    int[] pc = Axes.constInts(ctx, 2, toBatch ? "paddings" : "crops");
    if (block.length != 2 || pc.length != 4) {
      throw ctx.unsupported("block_shape " + Arrays.toString(block) + " / " + Arrays.toString(pc)
          + " (expects 2 spatial block dims)");
    }
    int bh = block[0];
    int bw = block[1];
    if (bh < 1 || bw < 1) {
      throw ctx.unsupported("block_shape " + Arrays.toString(block));
    }
    for (int v : pc) {
      if (v < 0) {
        throw ctx.unsupported("negative " + (toBatch ? "padding " : "crop ") + Arrays.toString(pc));
      }
    }
    long n = in[0];
    long h = in[1];
    long w = in[2];
    long c = in[3];
    if (toBatch) {
      long hp = h + pc[0] + pc[1];
      long wp = w + pc[2] + pc[3];
      if (hp % bh != 0 || wp % bw != 0) {
        throw ctx.unsupported("padded size " + hp + "x" + wp + " not divisible by block " + Arrays.toString(block));
      }
      long[] pads = {0, 0, pc[2], pc[3], pc[0], pc[1]};
      return inputs -> {
        Tensor x = inputs[0].tfTensor();
        Tensor p = torch.constant_pad_nd(x, pads, new Scalar(0.0));
        Tensor r = p.reshape(n, hp / bh, bh, wp / bw, bw, c).permute(2, 4, 0, 1, 3, 5)
            .reshape(n * bh * bw, hp / bh, wp / bw, c);
        return new PortValue[] {Axes.fromTf(r)};
      };
    }
    if (n % ((long) bh * bw) != 0) {
      throw ctx.unsupported("batch " + n + " not divisible by block " + Arrays.toString(block));
    }
    long nb = n / ((long) bh * bw);
    long ho = h * bh;
    long wo = w * bw;
    if (pc[0] + pc[1] > ho || pc[2] + pc[3] > wo) {
      throw ctx.unsupported("crops " + Arrays.toString(pc) + " exceed " + ho + "x" + wo);
    }
    return inputs -> {
      Tensor x = inputs[0].tfTensor();
      Tensor r = x.reshape(bh, bw, nb, h, w, c).permute(2, 3, 0, 4, 1, 5).reshape(nb, ho, wo, c);
      r = r.narrow(1, pc[0], ho - pc[0] - pc[1]).narrow(2, pc[2], wo - pc[2] - pc[3]);
      return new PortValue[] {Axes.fromTf(r)};
    };
  }
}
