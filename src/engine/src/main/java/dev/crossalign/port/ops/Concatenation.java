package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.Activation;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.PyOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorArrayRef;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * CONCATENATION along a TFLite axis (negative allowed); a fused activation is refused, as the TFLite kernel does. Rank-4 operands are concatenated
 * as NCHW on the mapped dim (the channel axis becomes dim 1), so the result stays NCHW; other ranks in TFLite order.
 */
public final class Concatenation implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("CONCATENATION");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.Concatenation o = (OpOptions.Concatenation) ctx.op().options();
    if (o.activation() != Activation.NONE) {
      // TFLite 2.20's kernel refuses it too (concatenation.cc: activation must be kTfLiteActNone).
      throw ctx.unsupported("fused activation " + o.activation() + " (the TFLite kernel refuses it as well)");
    }
    int n = ctx.inputCount();
    if (n < 1) {
      throw ctx.unsupported("no inputs");
    }
    for (int i = 0; i < n; i++) {
      if (!ctx.hasInput(i)) {
        throw ctx.unsupported("input " + i + " is absent");
      }
      if (Axes.quantized(ctx, i)) {
        throw ctx.unsupported("quantized inputs (requantization is not reproduced)");
      }
    }
    int rank = ctx.input(0).shape().length;
    int axis = Axes.normalize(ctx, o.axis(), rank, "axis");
    return inputs -> {
      Tensor[] ts = new Tensor[n];
      long dim;
      if (rank == 4) {
        for (int i = 0; i < n; i++) {
          ts[i] = inputs[i].nchwTensor();
        }
        dim = Axes.NHWC_TO_NCHW[axis];
      } else {
        for (int i = 0; i < n; i++) {
          ts[i] = inputs[i].tfTensor();
        }
        dim = axis;
      }
      TensorVector vec = new TensorVector(ts);
      Tensor y = torch.cat(new TensorArrayRef(vec), dim);
      return new PortValue[] {rank == 4 ? PortValue.nchw(y) : PortValue.tf(y)};
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.Concatenation o = (OpOptions.Concatenation) p.op().options();
    if (o.activation() != Activation.NONE) {
      throw p.unsupported("fused activation " + o.activation() + " (the TFLite kernel refuses it as well)");
    }
    int n = p.inputCount();
    if (n < 1) {
      throw p.unsupported("no inputs");
    }
    int rank = p.inShape(0).length;
    if (o.axis() < -rank || o.axis() >= rank) {
      throw p.unsupported("axis " + o.axis() + " is out of range for rank " + rank);
    }
    int axis = o.axis() < 0 ? o.axis() + rank : o.axis();
    StringBuilder list = new StringBuilder();
    for (int i = 0; i < n; i++) {
      if (!p.hasInput(i)) {
        throw p.unsupported("input " + i + " is absent");
      }
      if (p.input(i).isQuantized()) {
        throw p.unsupported("quantized inputs (requantization is not reproduced)");
      }
      list.append(i == 0 ? "" : ", ").append(rank == 4 ? p.value(i) : p.tf(i));
    }
    int dim = rank == 4 ? Axes.NHWC_TO_NCHW[axis] : axis;
    p.line(p.out(0) + " = torch.cat([" + list + "], " + dim + ")");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** Concat on the native values, the TFLite axis mapped to NCHW for rank 4. */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.Concatenation o = s.options(OpOptions.Concatenation.class);
    int r = s.outShape(0).length;
    List<String> ins = new ArrayList<>();
    for (int i = 0; i < s.inputCount(); i++) {
      ins.add(s.x(i));
    }
    s.node("Concat", ins, List.of(s.out(0, false, o.activation())),
        OnnxGraphBuilder.attrs().putInt("axis", OnnxOp.axis(o.axis(), r)));
  }
}
