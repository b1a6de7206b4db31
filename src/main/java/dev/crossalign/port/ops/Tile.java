package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * TILE by constant multiples (one per axis): torch's repeat. An NCHW value is repeated with the multiples mapped
 * to its dims and stays NCHW.
 */
public final class Tile implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("TILE");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int rank = ctx.input(0).shape().length;
    int[] m = Axes.constInts(ctx, 1, "multiples");
    if (m.length != rank) {
      throw ctx.unsupported("multiples " + Arrays.toString(m) + " do not match rank " + rank);
    }
    for (int v : m) {
      if (v < 0) {
        throw ctx.unsupported("negative multiple in " + Arrays.toString(m));
      }
    }
    long[] tf = Axes.longs(m);
    long[] nchw = rank == 4 ? new long[] {m[0], m[3], m[1], m[2]} : null;
    return inputs -> {
      PortValue x = inputs[0];
      return new PortValue[] {
        x.isNchw() ? PortValue.nchw(x.tensor().repeat(nchw)) : PortValue.tf(x.tensor().repeat(tf))
      };
    };
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX Tile in TFLite axes with the constant multiples. */
  @Override
  public void exportOnnx(OnnxOp s) {
    s.node("Tile", List.of(s.tf(0), s.i64(s.constInts(1))), List.of(s.outTf(0)));
  }
}
