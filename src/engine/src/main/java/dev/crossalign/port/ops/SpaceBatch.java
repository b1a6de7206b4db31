package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.TensorType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * SPACE_TO_BATCH_ND and BATCH_TO_SPACE_ND on rank-4 NHWC values with two spatial block dims, constant block_shape
 * [2] and paddings / crops [2, 2] (what older converters wrap around dilated convolutions). Pure data movement done
 * in TFLite axes, as TFLite's reference kernel lays it out: output batch index = (bh_i * block_w + bw_i) * batch + b.
 * SPACE_TO_BATCH pads with 0 (float; TFLite pads with the output zero point, 0 for float). The index arithmetic is
 * written once, in {@link Geometry}, for the lowering, the generated code and the ONNX export.
 */
public final class SpaceBatch implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SPACE_TO_BATCH_ND", "BATCH_TO_SPACE_ND");
  }

  /**
   * The data movement of one op: pad (to batch) or crop (to space) in H and W, and the 6-d reshape, permutation and
   * 4-d reshape between them, in TFLite axes (NHWC).
   *
   * @param pc paddings or crops: top, bottom, left, right
   */
  record Geometry(boolean toBatch, long n, long h, long w, long c, long bh, long bw, long[] pc) {
    /**
     * The geometry of an op with input shape {@code in}, block_shape {@code block} and paddings / crops {@code pc},
     * each check refused with {@code refuse}'s exception (the port's or the ONNX export's).
     */
    static Geometry of(boolean toBatch, int[] in, long[] block, long[] pc,
        Function<String, ? extends RuntimeException> refuse) {
      if (block.length != 2 || pc.length != 4) {
        throw refuse.apply("block_shape " + Arrays.toString(block) + " / " + Arrays.toString(pc)
            + " (expects 2 spatial block dims)");
      }
      if (block[0] < 1 || block[1] < 1) {
        throw refuse.apply("block_shape " + Arrays.toString(block));
      }
      for (long k : pc) {
        if (k < 0) {
          throw refuse.apply("negative " + (toBatch ? "padding " : "crop ") + Arrays.toString(pc));
        }
      }
      Geometry g = new Geometry(toBatch, in[0], in[1], in[2], in[3], block[0], block[1], pc.clone());
      if (toBatch && (g.hp() % g.bh != 0 || g.wp() % g.bw != 0)) {
        throw refuse.apply("padded size " + g.hp() + "x" + g.wp() + " not divisible by block "
            + Arrays.toString(block));
      }
      if (!toBatch && g.n % (g.bh * g.bw) != 0) {
        throw refuse.apply("batch " + g.n + " not divisible by block " + Arrays.toString(block));
      }
      if (!toBatch && (pc[0] + pc[1] > g.h * g.bh || pc[2] + pc[3] > g.w * g.bw)) {
        throw refuse.apply("crops " + Arrays.toString(pc) + " exceed " + g.h * g.bh + "x" + g.w * g.bw);
      }
      return g;
    }

    /** Padded height and width (to batch). */
    long hp() {
      return h + pc[0] + pc[1];
    }

    long wp() {
      return w + pc[2] + pc[3];
    }

    /** torch's constant_pad_nd / F.pad order for NHWC: C (none), then W, then H. */
    long[] torchPads() {
      return new long[] {0, 0, pc[2], pc[3], pc[0], pc[1]};
    }

    /** The 6-d view the permutation acts on. */
    long[] blocks() {
      return toBatch ? new long[] {n, hp() / bh, bh, wp() / bw, bw, c} : new long[] {bh, bw, n / (bh * bw), h, w, c};
    }

    /** Block dims to the batch (to batch) or back beside their spatial dims (to space). */
    int[] perm() {
      return toBatch ? new int[] {2, 4, 0, 1, 3, 5} : new int[] {2, 3, 0, 4, 1, 5};
    }

    /** The 4-d NHWC shape after the permutation: the output (to batch), the uncropped output (to space). */
    long[] joined() {
      return toBatch ? new long[] {n * bh * bw, hp() / bh, wp() / bw, c}
          : new long[] {n / (bh * bw), h * bh, w * bw, c};
    }

    /** To space: the output's height and width after the crops. */
    long croppedH() {
      return h * bh - pc[0] - pc[1];
    }

    long croppedW() {
      return w * bw - pc[2] - pc[3];
    }
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    Geometry g = geometry(ctx, Axes.longs(Axes.constInts(ctx, 1, "block_shape")),
        Axes.longs(Axes.constInts(ctx, 2, isToBatch(ctx) ? "paddings" : "crops")));
    long[] blocks = g.blocks();
    long[] perm = Axes.longs(g.perm());
    long[] joined = g.joined();
    long[] pads = g.torchPads();
    return inputs -> {
      Tensor x = inputs[0].tfTensor();
      Tensor r = (g.toBatch() ? torch.constant_pad_nd(x, pads, new Scalar(0.0)) : x).reshape(blocks).permute(perm)
          .reshape(joined);
      if (!g.toBatch()) {
        r = r.narrow(1, g.pc()[0], g.croppedH()).narrow(2, g.pc()[2], g.croppedW());
      }
      return new PortValue[] {Axes.fromTf(r)};
    };
  }

  private static boolean isToBatch(OpView v) {
    return v.op().opName().equals("SPACE_TO_BATCH_ND");
  }

  /** The input checked (float32/int32, rank 4, not quantized) and the geometry, for the lowering and the code. */
  private static Geometry geometry(OpView v, long[] block, long[] pc) {
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
    return Geometry.of(isToBatch(v), in, block, pc, v::unsupported);
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    boolean toBatch = isToBatch(p);
    Geometry g = geometry(p, p.ints(1, "block_shape"), p.ints(2, toBatch ? "paddings" : "crops"));
    String t = p.temp(toBatch ? "padded" : "blocks");
    String moved = ".reshape(" + Py.ints(g.blocks()) + ").permute(" + Py.ints(g.perm()) + ").reshape("
        + Py.ints(g.joined()) + ")";
    if (toBatch) {
      // in TFLite axes (NHWC): pad H and W with 0, then output batch (bh_i * block_w + bw_i) * batch + b
      p.line(t + " = F.pad(" + p.tf(0) + ", " + Py.ints(g.torchPads()) + ")");
      Axes.emitFromTf(p, 0, t + moved, 4);
      return;
    }
    // in TFLite axes (NHWC): batch (bh_i * block_w + bw_i) * batch + b back to its block position, then the crops
    p.line(t + " = " + p.tf(0) + moved);
    Axes.emitFromTf(p, 0, t + ".narrow(1, " + g.pc()[0] + ", " + g.croppedH() + ").narrow(2, " + g.pc()[2] + ", "
        + g.croppedW() + ")", 4);
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
    Geometry g = Geometry.of(toBatch, in, s.constInts(1), s.constInts(2), s::refuse);
    long[] pc = g.pc();
    String x = s.tf(0);
    if (toBatch) {
      x = s.tmp("padded");
      s.node("Pad", List.of(s.tf(0), s.i64(0, pc[0], pc[2], 0, 0, pc[1], pc[3], 0)), List.of(x));
    }
    String r6 = s.tmp("r6");
    s.node("Reshape", List.of(x, s.i64(g.blocks())), List.of(r6));
    String t6 = s.tmp("t6");
    s.node("Transpose", List.of(r6), List.of(t6), OnnxGraphBuilder.attrs().putInts("perm", g.perm()));
    if (toBatch) {
      s.node("Reshape", List.of(t6, s.i64(g.joined())), List.of(s.outTf(0)));
      return;
    }
    String full = s.tmp("uncropped");
    s.node("Reshape", List.of(t6, s.i64(g.joined())), List.of(full));
    long[] j = g.joined();
    s.node("Slice", List.of(full, s.i64(pc[0], pc[2]), s.i64(j[1] - pc[1], j[2] - pc[3]), s.i64(1, 2)),
        List.of(s.outTf(0)));
  }
}
