package dev.crossalign.port.ops;

import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * BATCH_MATMUL: adj_x / adj_y transpose the last two axes; batch axes broadcast as numpy does (torch.matmul's rule).
 * Works in TFLite axes: a rank-4 NCHW operand is permuted back first, and the result is returned in TFLite axes.
 */
public final class BatchMatMul implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("BATCH_MATMUL");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.BatchMatMul o = (OpOptions.BatchMatMul) ctx.op().options();
    OpConstants.requireFloat(ctx, 0, 1);
    checkShapes(ctx, o);
    return inputs -> {
      Tensor x = inputs[0].tfTensor();
      Tensor y = inputs[1].tfTensor();
      if (o.adjX()) {
        x = x.transpose(-2, -1);
      }
      if (o.adjY()) {
        y = y.transpose(-2, -1);
      }
      return new PortValue[] {PortValue.tf(torch.matmul(x, y))};
    };
  }

  /** Ranks and inner dimensions, for the lowering and the code generation alike. */
  private static void checkShapes(OpView v, OpOptions.BatchMatMul o) {
    int[] a = v.input(0).shape();
    int[] b = v.input(1).shape();
    if (a.length < 2 || b.length < 2) {
      throw v.unsupported("operands must have rank >= 2");
    }
    int ka = o.adjX() ? a[a.length - 2] : a[a.length - 1];
    int kb = o.adjY() ? b[b.length - 1] : b[b.length - 2];
    if (ka != kb) {
      throw v.unsupported("inner dimensions differ: " + ka + " vs " + kb);
    }
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.BatchMatMul o = (OpOptions.BatchMatMul) p.op().options();
    OpConstants.requireFloat(p, 0, 1);
    checkShapes(p, o);
    String x = p.tf(0) + (o.adjX() ? ".transpose(-2, -1)" : "");
    String y = p.tf(1) + (o.adjY() ? ".transpose(-2, -1)" : "");
    // in TFLite axes; batch axes broadcast numpy-style as torch.matmul does
    Axes.emitFromTf(p, 0, "torch.matmul(" + x + ", " + y + ")", p.outShape(0).length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX MatMul in TFLite axes, adj_x / adj_y as a Transpose of the last two axes. */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.BatchMatMul o = s.options(OpOptions.BatchMatMul.class);
    String a = onnxAdjoint(s, 0, o.adjX());
    String b = onnxAdjoint(s, 1, o.adjY());
    s.node("MatMul", List.of(a, b), List.of(s.outTf(0)));
  }

  private static String onnxAdjoint(OnnxOp s, int i, boolean adjoint) {
    String v = s.tf(i);
    if (!adjoint) {
      return v;
    }
    int r = s.inShape(i).length;
    long[] perm = new long[r];
    for (int k = 0; k < r; k++) {
      perm[k] = k;
    }
    perm[r - 1] = r - 2;
    perm[r - 2] = r - 1;
    String t = s.tmp("adj" + i);
    s.node("Transpose", List.of(v), List.of(t), OnnxGraphBuilder.attrs().putInts("perm", perm));
    return t;
  }
}
