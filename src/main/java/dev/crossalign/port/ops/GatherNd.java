package dev.crossalign.port.ops;

import dev.crossalign.CrossalignException;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.onnx.OnnxTypes;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.pytorch.AbstractTensor;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import java.util.Set;

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
    if (Axes.quantized(ctx, 0) || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("quantized params");
    }
    DType it = ctx.input(1).type().dtype();
    if (it != DType.INT32 && it != DType.INT64) {
      throw ctx.unsupported("indices of type " + ctx.input(1).type());
    }
    int[] ps = ctx.input(0).shape();
    int[] is = ctx.input(1).shape();
    if (is.length < 1) {
      throw ctx.unsupported("rank-0 indices");
    }
    int q = is[is.length - 1];
    if (q < 1 || q > ps.length) {
      throw ctx.unsupported("index depth " + q + " for params of rank " + ps.length);
    }
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
