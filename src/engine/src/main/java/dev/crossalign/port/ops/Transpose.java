package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.Arrays;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.Set;

/**
 * TRANSPOSE by a constant permutation of TFLite axes. Applied to the TFLite-ordered value; for an NCHW input the
 * two permutes compose into views, and a rank-4 result is handed on as an NCHW view.
 */
public final class Transpose implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("TRANSPOSE");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int rank = ctx.input(0).shape().length;
    int[] perm = Axes.constInts(ctx, 1, "perm");
    if (perm.length != rank) {
      throw ctx.unsupported("perm " + Arrays.toString(perm) + " does not match input rank " + rank);
    }
    boolean[] seen = new boolean[rank];
    for (int p : perm) {
      if (p < 0 || p >= rank || seen[p]) {
        throw ctx.unsupported("perm " + Arrays.toString(perm) + " is not a permutation of 0.." + (rank - 1));
      }
      seen[p] = true;
    }
    long[] lp = Axes.longs(perm);
    return inputs -> new PortValue[] {Axes.fromTf(inputs[0].tfTensor().permute(lp))};
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int rank = p.inShape(0).length;
    long[] perm = p.ints(1, "perm");
    if (perm.length != rank) {
      throw p.unsupported("perm " + Arrays.toString(perm) + " does not match input rank " + rank);
    }
    boolean[] seen = new boolean[rank];
    for (long v : perm) {
      if (v < 0 || v >= rank || seen[(int) v]) {
        throw p.unsupported("perm " + Arrays.toString(perm) + " is not a permutation of 0.." + (rank - 1));
      }
      seen[(int) v] = true;
    }
    Axes.emitFromTf(p, 0, p.tf(0) + ".permute(" + Py.ints(perm).replace("[", "").replace("]", "") + ")", rank);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX Transpose in TFLite axes with the constant permutation. */
  @Override
  public void exportOnnx(OnnxOp s) {
    long[] perm = s.constInts(1);
    s.node("Transpose", List.of(s.tf(0)), List.of(s.outTf(0)), OnnxGraphBuilder.attrs().putInts("perm", perm));
  }
}
