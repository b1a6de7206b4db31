package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.Arrays;
import java.util.Set;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

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
    check(ctx, m);
    long[] tf = Axes.longs(m);
    long[] nchw = rank == 4 ? new long[] {m[0], m[3], m[1], m[2]} : null;
    return inputs -> {
      PortValue x = inputs[0];
      return new PortValue[] {
        x.isNchw() ? PortValue.nchw(x.tensor().repeat(nchw)) : PortValue.tf(x.tensor().repeat(tf))
      };
    };
  }

  /** One non-negative multiple per axis, for the lowering and the code generation alike. */
  private static void check(OpView v, int[] m) {
    int rank = v.input(0).shape().length;
    if (m.length != rank) {
      throw v.unsupported("multiples " + Arrays.toString(m) + " do not match rank " + rank);
    }
    for (int k : m) {
      if (k < 0) {
        throw v.unsupported("negative multiple in " + Arrays.toString(m));
      }
    }
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int[] m = Arrays.stream(p.ints(1, "multiples")).mapToInt(Math::toIntExact).toArray();
    check(p, m);
    // rank 4 is held NCHW: the NHWC multiples mapped to its dims
    int[] dims = m.length == 4 ? new int[] {m[0], m[3], m[1], m[2]} : m;
    p.line(p.out(0) + " = " + p.value(0) + ".repeat(" + Py.ints(dims) + ")");
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
