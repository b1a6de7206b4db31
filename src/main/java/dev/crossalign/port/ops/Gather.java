package dev.crossalign.port.ops;

import dev.crossalign.CrossalignException;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.DType;
import dev.crossalign.tflite.OpOptions;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * GATHER with batch_dims 0: output shape params[:axis] + indices.shape + params[axis+1:], in TFLite axis order.
 * Indices (int32 or int64) may be constant (checked and converted once) or computed at run time (checked on the
 * host each run); an index outside the axis is an error, as in TFLite.
 */
public final class Gather implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("GATHER");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Gather o =
        ctx.op().options() instanceof OpOptions.Gather g ? g : new OpOptions.Gather(0, 0);
    if (o.batchDims() != 0) {
      throw ctx.unsupported("batch_dims " + o.batchDims());
    }
    int[] shape = ctx.input(0).shape();
    int axis = Axes.normalize(ctx, o.axis(), shape.length, "axis");
    DType it = ctx.input(1).type().dtype();
    if (it != DType.INT32 && it != DType.INT64) {
      throw ctx.unsupported("indices of type " + ctx.input(1).type());
    }
    Tensor constIdx = null;
    if (ctx.isConstant(1)) {
      int[] idx = Axes.ints(ctx.constant(1));
      for (int v : idx) {
        if (v < 0 || v >= shape[axis]) {
          throw ctx.unsupported("index " + v + " outside axis of size " + shape[axis]);
        }
      }
      constIdx = ctx.prepared(ctx.constant(1).reshape(-1).to(ScalarType.Long));
    }
    Tensor prepared = constIdx;
    return inputs -> {
      Tensor p = inputs[0].tfTensor();
      Tensor ind = inputs[1].tensor();
      int[] ps = Axes.shape(p);
      Tensor flat = prepared;
      if (flat == null) {
        // Checked on the host: an out-of-range index_select on CUDA is a device-side assert that poisons the
        // context, and TFLite treats it as an error too.
        for (int v : Axes.ints(ind)) {
          if (v < 0 || v >= ps[axis]) {
            throw CrossalignException.input(
                "GATHER index " + v + " is outside [0, " + ps[axis] + ") on axis " + axis);
          }
        }
        flat = ind.reshape(-1).to(ScalarType.Long);
      }
      Tensor g = p.index_select(axis, flat);
      int[] is = Axes.shape(ind);
      long[] out = new long[ps.length - 1 + is.length];
      int k = 0;
      for (int i = 0; i < axis; i++) {
        out[k++] = ps[i];
      }
      for (int d : is) {
        out[k++] = d;
      }
      for (int i = axis + 1; i < ps.length; i++) {
        out[k++] = ps[i];
      }
      return new PortValue[] {Axes.fromTf(g.reshape(out))};
    };
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** ONNX Gather in TFLite axes (batch_dims 0). */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.Gather o = s.options(OpOptions.Gather.class);
    if (o.batchDims() != 0) {
      throw s.refuse("batch_dims " + o.batchDims());
    }
    int r = s.inShape(0).length;
    int axis = o.axis() < 0 ? o.axis() + r : o.axis();
    s.node("Gather", List.of(s.tf(0), s.tf(1)), List.of(s.outTf(0)), OnnxGraphBuilder.attrs().putInt("axis", axis));
  }
}
