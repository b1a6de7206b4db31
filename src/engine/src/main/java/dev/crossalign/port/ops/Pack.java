package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.PyOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRef;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/** PACK: values_count equal-shaped inputs stacked on a new axis (in [-rank-1, rank]), in TFLite axis order. */
public final class Pack implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("PACK");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Pack o = (OpOptions.Pack) ctx.op().options();
    int n = ctx.inputCount();
    if (o.valuesCount() != n) {
      throw ctx.unsupported("values_count " + o.valuesCount() + " but " + n + " inputs");
    }
    for (int i = 0; i < n; i++) {
      if (!ctx.hasInput(i)) {
        throw ctx.unsupported("input " + i + " is absent");
      }
    }
    int rank = ctx.input(0).shape().length;
    int axis = Axes.normalize(ctx, o.axis(), rank + 1, "axis");
    return inputs -> {
      Tensor[] ts = new Tensor[n];
      for (int i = 0; i < n; i++) {
        ts[i] = inputs[i].tfTensor().unsqueeze(axis);
      }
      TensorVector vec = new TensorVector(ts);
      return new PortValue[] {Axes.fromTf(torch.cat(new TensorArrayRef(vec), axis))};
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.Pack o = (OpOptions.Pack) p.op().options();
    int n = p.inputCount();
    if (o.valuesCount() != n) {
      throw p.unsupported("values_count " + o.valuesCount() + " but " + n + " inputs");
    }
    int rank = p.inShape(0).length;
    if (o.axis() < -(rank + 1) || o.axis() > rank) {
      throw p.unsupported("axis " + o.axis() + " for rank " + rank);
    }
    int axis = o.axis() < 0 ? o.axis() + rank + 1 : o.axis();
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (!p.hasInput(i)) {
        throw p.unsupported("input " + i + " is absent");
      }
      list.append(i == 0 ? "" : ", ").append(p.tf(i));
    }
    Axes.emitFromTf(p, 0, "torch.stack([" + list + "], " + axis + ")", rank + 1);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** Unsqueeze each input at the axis, Concat, in TFLite axes. */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.Pack o = s.options(OpOptions.Pack.class);
    int r = s.outShape(0).length;
    int axis = o.axis() < 0 ? o.axis() + r : o.axis();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < s.inputCount(); i++) {
      String u = s.tmp("unsq" + i);
      s.node("Unsqueeze", List.of(s.tf(i), s.i64(axis)), List.of(u));
      parts.add(u);
    }
    s.node("Concat", parts, List.of(s.outTf(0)), OnnxGraphBuilder.attrs().putInt("axis", axis));
  }
}
