package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

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
    checkInput(ctx);
    int[] in = ctx.input(0).shape();
    int[] block = Axes.constInts(ctx, 1, "block_shape");
    int[] pc = Axes.constInts(ctx, 2, toBatch ? "paddings" : "crops");
    checkGeometry(ctx, block, pc);
    int bh = block[0];
    int bw = block[1];
    long n = in[0];
    long h = in[1];
    long w = in[2];
    long c = in[3];
    if (toBatch) {
      long hp = h + pc[0] + pc[1];
      long wp = w + pc[2] + pc[3];
      long[] pads = {0, 0, pc[2], pc[3], pc[0], pc[1]};
      return inputs -> {
        Tensor x = inputs[0].tfTensor();
        Tensor p = torch.constant_pad_nd(x, pads, new Scalar(0.0));
        Tensor r = p.reshape(n, hp / bh, bh, wp / bw, bw, c).permute(2, 4, 0, 1, 3, 5)
            .reshape(n * bh * bw, hp / bh, wp / bw, c);
        return new PortValue[] {Axes.fromTf(r)};
      };
    }
    long nb = n / ((long) bh * bw);
    long ho = h * bh;
    long wo = w * bw;
    return inputs -> {
      Tensor x = inputs[0].tfTensor();
      Tensor r = x.reshape(bh, bw, nb, h, w, c).permute(2, 3, 0, 4, 1, 5).reshape(nb, ho, wo, c);
      r = r.narrow(1, pc[0], ho - pc[0] - pc[1]).narrow(2, pc[2], wo - pc[2] - pc[3]);
      return new PortValue[] {Axes.fromTf(r)};
    };
  }

  private static void checkInput(OpView v) {
    if (Axes.quantized(v, 0) || v.output(0).isQuantized()) {
      throw v.unsupported("quantized input or output");
    }
    TensorType t = v.input(0).type();
    if (t != TensorType.FLOAT32 && t != TensorType.INT32) {
      throw v.unsupported("input type " + t);
    }
    int[] in = v.input(0).shape();
    if (in.length != 4) {
      throw v.unsupported("rank " + in.length + " input (only rank 4 NHWC is lowered)");
    }
  }

  /** block_shape [2] and paddings / crops [2, 2] that fit the input, for the lowering and the code generation. */
  private static void checkGeometry(OpView v, int[] block, int[] pc) {
    boolean toBatch = v.op().opName().equals("SPACE_TO_BATCH_ND");
    if (block.length != 2 || pc.length != 4) {
      throw v.unsupported("block_shape " + Arrays.toString(block) + " / " + Arrays.toString(pc)
          + " (expects 2 spatial block dims)");
    }
    int bh = block[0];
    int bw = block[1];
    if (bh < 1 || bw < 1) {
      throw v.unsupported("block_shape " + Arrays.toString(block));
    }
    for (int k : pc) {
      if (k < 0) {
        throw v.unsupported("negative " + (toBatch ? "padding " : "crop ") + Arrays.toString(pc));
      }
    }
    int[] in = v.input(0).shape();
    long n = in[0];
    long h = in[1];
    long w = in[2];
    if (toBatch) {
      long hp = h + pc[0] + pc[1];
      long wp = w + pc[2] + pc[3];
      if (hp % bh != 0 || wp % bw != 0) {
        throw v.unsupported("padded size " + hp + "x" + wp + " not divisible by block " + Arrays.toString(block));
      }
      return;
    }
    if (n % ((long) bh * bw) != 0) {
      throw v.unsupported("batch " + n + " not divisible by block " + Arrays.toString(block));
    }
    if (pc[0] + pc[1] > h * bh || pc[2] + pc[3] > w * bw) {
      throw v.unsupported("crops " + Arrays.toString(pc) + " exceed " + h * bh + "x" + w * bw);
    }
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    boolean toBatch = p.opName().equals("SPACE_TO_BATCH_ND");
    checkInput(p);
    int[] block = Arrays.stream(p.ints(1, "block_shape")).mapToInt(Math::toIntExact).toArray();
    int[] pc = Arrays.stream(p.ints(2, toBatch ? "paddings" : "crops")).mapToInt(Math::toIntExact).toArray();
    checkGeometry(p, block, pc);
    int[] in = p.inShape(0);
    int bh = block[0];
    int bw = block[1];
    int n = in[0];
    int h = in[1];
    int w = in[2];
    int c = in[3];
    String t = p.temp(toBatch ? "padded" : "blocks");
    if (toBatch) {
      int hp = h + pc[0] + pc[1];
      int wp = w + pc[2] + pc[3];
      // in TFLite axes (NHWC): pad H and W with 0, then output batch (bh_i * block_w + bw_i) * batch + b
      p.line(t + " = F.pad(" + p.tf(0) + ", " + Py.ints(0, 0, pc[2], pc[3], pc[0], pc[1]) + ")");
      Axes.emitFromTf(p, 0, t + ".reshape(" + Py.ints(n, hp / bh, bh, wp / bw, bw, c) + ").permute(2, 4, 0, 1, 3, 5)"
          + ".reshape(" + Py.ints(n * bh * bw, hp / bh, wp / bw, c) + ")", 4);
      return;
    }
    int nb = n / (bh * bw);
    int ho = h * bh;
    int wo = w * bw;
    // in TFLite axes (NHWC): batch (bh_i * block_w + bw_i) * batch + b back to its block position, then the crops
    p.line(t + " = " + p.tf(0) + ".reshape(" + Py.ints(bh, bw, nb, h, w, c) + ").permute(2, 3, 0, 4, 1, 5).reshape("
        + Py.ints(nb, ho, wo, c) + ")");
    Axes.emitFromTf(p, 0, t + ".narrow(1, " + pc[0] + ", " + (ho - pc[0] - pc[1]) + ").narrow(2, " + pc[2] + ", "
        + (wo - pc[2] - pc[3]) + ")", 4);
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
