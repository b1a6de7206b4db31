package dev.crossalign.port.ops;

import dev.crossalign.CrossalignException;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tensor.DType;
import java.util.Arrays;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import java.util.Set;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

/**
 * GATHER_ND (batch_dims 0): indices [..., q] address the first q axes of params; the output is indices.shape[:-1] +
 * params.shape[q:]. The first q axes are flattened and one index_select takes linear indices. Every index is checked
 * on the host first (TFLite fails on an out-of-range index; torch on CUDA would poison the context). Exact.
 */
public final class GatherNd implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("GATHER_ND");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    int[] ps = ctx.input(0).shape();
    int[] is = ctx.input(1).shape();
    int q = depth(ctx);
    long[] strides = new long[q];
    long lead = 1;
    for (int j = q - 1; j >= 0; j--) {
      strides[j] = lead;
      lead *= ps[j];
    }
    long[] flatShape = new long[1 + ps.length - q];
    flatShape[0] = lead;
    long[] out = new long[is.length - 1 + ps.length - q];
    for (int i = 0; i < is.length - 1; i++) {
      out[i] = is[i];
    }
    for (int j = q; j < ps.length; j++) {
      flatShape[1 + j - q] = ps[j];
      out[is.length - 1 + j - q] = ps[j];
    }
    Tensor stride = ctx.prepared(AbstractTensor.create(strides));
    return inputs -> {
      Tensor ind = inputs[1].tfTensor();
      int[] v = Axes.ints(ind);
      for (int k = 0; k < v.length; k++) {
        int j = k % q;
        if (v[k] < 0 || v[k] >= ps[j]) {
          throw CrossalignException.input("GATHER_ND index " + v[k] + " is outside [0, " + ps[j] + ") on axis " + j
              + " (index tuple " + (k / q) + " of " + Arrays.toString(is) + ")");
        }
      }
      Tensor lin = ind.to(ScalarType.Long).mul(stride).sum(new long[] {-1}, false, new ScalarTypeOptional());
      Tensor g = inputs[0].tfTensor().reshape(flatShape).index_select(0, lin.reshape(-1));
      return new PortValue[] {Axes.fromTf(g.reshape(out))};
    };
  }

  /** The index depth q, with the operands checked, for the lowering and the code generation alike. */
  private static int depth(OpView v) {
    if (Axes.quantized(v, 0) || v.output(0).isQuantized()) {
      throw v.unsupported("quantized params");
    }
    DType it = v.input(1).type().dtype();
    if (it != DType.INT32 && it != DType.INT64) {
      throw v.unsupported("indices of type " + v.input(1).type());
    }
    int[] ps = v.input(0).shape();
    int[] is = v.input(1).shape();
    if (is.length < 1) {
      throw v.unsupported("rank-0 indices");
    }
    int q = is[is.length - 1];
    if (q < 1 || q > ps.length) {
      throw v.unsupported("index depth " + q + " for params of rank " + ps.length);
    }
    return q;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int[] ps = p.inShape(0);
    int q = depth(p);
    long[] strides = new long[q];
    long lead = 1;
    for (int j = q - 1; j >= 0; j--) {
      strides[j] = lead;
      lead *= ps[j];
    }
    int[] flat = new int[1 + ps.length - q];
    flat[0] = Math.toIntExact(lead);
    for (int j = q; j < ps.length; j++) {
      flat[1 + j - q] = ps[j];
    }
    String stride = p.table("strides", dev.crossalign.tensor.HostTensor.ofLongs(new int[] {q},
        dev.crossalign.tensor.Layout.ANY, strides));
    String lin = p.temp("linear_index");
    // each index tuple addresses the first q axes: one linear index into params with those axes flattened
    // (TFLite fails on an index outside its axis; here such an index is not checked)
    p.line(lin + " = torch.sum(" + p.tf(1) + ".long() * " + stride + ", -1).reshape(-1)");
    Axes.emitFromTf(p, 0, "torch.index_select(" + p.tf(0) + ".reshape(" + Py.ints(flat) + "), 0, " + lin
        + ").reshape(" + Py.ints(p.outShape(0)) + ")", p.outShape(0).length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** GATHER_ND (batch_dims 0): ONNX GatherND on int64 indices, in TFLite axes. */
  @Override
  public void exportOnnx(OnnxOp s) {
    String idx = s.tmp("indices_i64");
    s.node("Cast", List.of(s.tf(1)), List.of(idx),
        OnnxGraphBuilder.attrs().putInt("to", OnnxTypes.elemType(DType.INT64)));
    s.node("GatherND", List.of(s.tf(0), idx), List.of(s.outTf(0)));
  }
}
