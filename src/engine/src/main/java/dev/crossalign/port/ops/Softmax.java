package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.tflite.TensorType;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.List;
import java.util.Set;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

/**
 * SOFTMAX (beta) and LOG_SOFTMAX over TFLite's last axis, which is axis 1 of an NCHW value. The arithmetic follows
 * TFLite's float kernel: e = exp((x - max) * beta), out = e * (1 / sum(e)); log-softmax (x - max) - log(sum(exp(x -
 * max))).
 */
public final class Softmax implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("SOFTMAX", "LOG_SOFTMAX");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    boolean log = ctx.op().opName().equals("LOG_SOFTMAX");
    if (ctx.input(0).type() != TensorType.FLOAT32 || ctx.input(0).isQuantized() || ctx.output(0).isQuantized()) {
      throw ctx.unsupported("only float32 is lowered");
    }
    if (ctx.input(0).shape().length < 1) {
      throw ctx.unsupported("scalar input");
    }
    float beta = ctx.op().options() instanceof OpOptions.Softmax s ? s.beta() : 1f;
    return inputs -> {
      PortValue in = inputs[0];
      Tensor x = in.tensor();
      long axis = in.isNchw() ? 1 : x.dim() - 1;
      long[] dims = {axis};
      Tensor shifted = x.sub(x.amax(dims, true));
      Tensor y;
      if (log) {
        y = shifted.sub(shifted.exp().sum(dims, true, new org.bytedeco.pytorch.ScalarTypeOptional()).log());
      } else {
        Tensor e = (beta == 1f ? shifted : shifted.mul(new Scalar((double) beta))).exp();
        Tensor inv = e.sum(dims, true, new org.bytedeco.pytorch.ScalarTypeOptional()).reciprocal();
        y = e.mul(inv);
      }
      return new PortValue[] {new PortValue(y, in.layout())};
    };
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    boolean log = p.opName().equals("LOG_SOFTMAX");
    if (p.input(0).type() != TensorType.FLOAT32 || p.input(0).isQuantized() || p.output(0).isQuantized()) {
      throw p.unsupported("only float32 is generated");
    }
    int rank = p.inShape(0).length;
    if (rank < 1) {
      throw p.unsupported("scalar input");
    }
    float beta = p.op().options() instanceof OpOptions.Softmax s ? s.beta() : 1f;
    String x = p.value(0);
    int axis = rank == 4 ? 1 : rank - 1; // TF's last axis (channels: dim 1 of the NCHW value)
    String shifted = p.temp("shifted");
    p.line(shifted + " = " + x + " - torch.amax(" + x + ", [" + axis + "], True)  # TF: exp((x - max) * beta)");
    if (log) {
      p.line(p.out(0) + " = " + shifted + " - torch.log(torch.sum(torch.exp(" + shifted + "), [" + axis + "], True))");
      return;
    }
    String e = p.temp("e");
    p.line(e + " = torch.exp(" + (beta == 1f ? shifted : shifted + " * " + Py.f32(beta)) + ")");
    p.line(p.out(0) + " = " + e + " * torch.reciprocal(torch.sum(" + e + ", [" + axis + "], True))");
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** Softmax / LogSoftmax over the last TFLite axis (mapped to the NCHW axis), beta as a Mul before. */
  @Override
  public void exportOnnx(OnnxOp s) {
    String type = s.opName().equals("SOFTMAX") ? "Softmax" : "LogSoftmax";
    int r = s.inShape(0).length;
    String x = s.x(0);
    if (s.options() instanceof OpOptions.Softmax sm && sm.beta() != 1f) {
      String scaled = s.tmp("beta");
      s.node("Mul", List.of(x, s.f32Scalar(sm.beta())), List.of(scaled));
      x = scaled;
    }
    s.node(type, List.of(x), List.of(s.out(0)), OnnxGraphBuilder.attrs().putInt("axis", OnnxOp.axis(-1, r)));
  }
}
