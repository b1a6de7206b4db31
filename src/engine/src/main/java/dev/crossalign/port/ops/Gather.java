package dev.crossalign.port.ops;

import dev.crossalign.CrossalignException;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import dev.crossalign.tflite.OpOptions;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.onnx.OnnxOp;
import java.util.List;

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
    int[] shape = ctx.input(0).shape();
    int axis = axis(ctx);
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

  /** The gathered axis (batch_dims 0, int indices), for the lowering and the code generation alike. */
  private static int axis(OpView v) {
    OpOptions.Gather o = v.op().options() instanceof OpOptions.Gather g ? g : new OpOptions.Gather(0, 0);
    if (o.batchDims() != 0) {
      throw v.unsupported("batch_dims " + o.batchDims());
    }
    return Axes.indexAxis(v, o.axis(), v.input(1), "indices of type");
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    int[] shape = p.inShape(0);
    int axis = axis(p);
    String idx;
    dev.crossalign.tensor.HostTensor c = p.constant(1);
    if (c != null) {
      long[] v = c.toLongArray();
      for (long k : v) {
        if (k < 0 || k >= shape[axis]) {
          throw p.unsupported("index " + k + " outside axis of size " + shape[axis]);
        }
      }
      idx = p.table("index", dev.crossalign.tensor.HostTensor.ofLongs(new int[] {v.length},
          dev.crossalign.tensor.Layout.ANY, v));
    } else {
      // index_select raises on an index outside the axis, as TFLite fails on one
      idx = p.tf(1) + ".reshape(-1).long()";
    }
    // params[:axis] + indices.shape + params[axis+1:], in TFLite axes
    Axes.emitFromTf(p, 0, "torch.index_select(" + p.tf(0) + ", " + axis + ", " + idx + ").reshape("
        + Py.ints(p.outShape(0)) + ")", p.outShape(0).length);
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
