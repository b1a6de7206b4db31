package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.List;
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

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /**
   * Rank 4 with two block dims, in TFLite axes: Pad (zeros) + Reshape + Transpose + Reshape, and the inverse Reshape +
   * Transpose + Reshape + Slice (crops). Batch index order is TFLite's: (bh_i * block_w + bw_i) * batch + b.
   */
  @Override
  public void exportOnnx(OnnxOp s) {
    boolean toBatch = s.opName().equals("SPACE_TO_BATCH_ND");
    int[] in = s.inShape(0);
    if (in.length != 4) {
      throw s.refuse("rank " + in.length + " input (only rank 4 is exported)");
    }
    long[] block = s.constInts(1);
    long[] pc = s.constInts(2);
    if (block.length != 2 || pc.length != 4 || block[0] < 1 || block[1] < 1) {
      throw s.refuse("block_shape " + Arrays.toString(block) + " / " + Arrays.toString(pc));
    }
    for (long v : pc) {
      if (v < 0) {
        throw s.refuse("negative padding or crop " + Arrays.toString(pc));
      }
    }
    long bh = block[0];
    long bw = block[1];
    long n = in[0];
    long h = in[1];
    long w = in[2];
    long c = in[3];
    if (toBatch) {
      long hp = h + pc[0] + pc[1];
      long wp = w + pc[2] + pc[3];
      if (hp % bh != 0 || wp % bw != 0) {
        throw s.refuse("padded size not divisible by the block");
      }
      String padded = s.tmp("padded");
      s.node("Pad", List.of(s.tf(0), s.i64(0, pc[0], pc[2], 0, 0, pc[1], pc[3], 0)), List.of(padded));
      String r6 = s.tmp("r6");
      s.node("Reshape", List.of(padded, s.i64(n, hp / bh, bh, wp / bw, bw, c)), List.of(r6));
      String t6 = s.tmp("t6");
      s.node("Transpose", List.of(r6), List.of(t6), OnnxGraphBuilder.attrs().putInts("perm", new int[] {2, 4, 0, 1, 3,
          5}));
      s.node("Reshape", List.of(t6, s.i64(n * bh * bw, hp / bh, wp / bw, c)), List.of(s.outTf(0)));
      return;
    }
    if (n % (bh * bw) != 0) {
      throw s.refuse("batch not divisible by the block");
    }
    long nb = n / (bh * bw);
    long ho = h * bh;
    long wo = w * bw;
    String r6 = s.tmp("r6");
    s.node("Reshape", List.of(s.tf(0), s.i64(bh, bw, nb, h, w, c)), List.of(r6));
    String t6 = s.tmp("t6");
    s.node("Transpose", List.of(r6), List.of(t6), OnnxGraphBuilder.attrs().putInts("perm", new int[] {2, 3, 0, 4, 1,
        5}));
    String full = s.tmp("uncropped");
    s.node("Reshape", List.of(t6, s.i64(nb, ho, wo, c)), List.of(full));
    s.node("Slice", List.of(full, s.i64(pc[0], pc[2]), s.i64(ho - pc[1], wo - pc[3]), s.i64(1, 2)),
        List.of(s.outTf(0)));
  }
}
