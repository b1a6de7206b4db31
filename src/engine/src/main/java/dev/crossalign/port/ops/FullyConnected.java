package dev.crossalign.port.ops;

import dev.crossalign.onnx.OnnxGraphBuilder;
import dev.crossalign.port.LoweredOp;
import dev.crossalign.port.LoweringContext;
import dev.crossalign.port.OpLowering;
import dev.crossalign.port.OpView;
import dev.crossalign.port.PortValue;
import dev.crossalign.port.onnx.OnnxOp;
import dev.crossalign.tensor.HostTensor;
import dev.crossalign.tflite.OpOptions;
import dev.crossalign.port.codegen.Py;
import dev.crossalign.port.codegen.PyOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * FULLY_CONNECTED: weights [out, in], optional bias. TFLite flattens the input to [-1, in] in ITS axis order, so an
 * NCHW value is brought back to NHWC before flattening (flattening NCHW would interleave channels differently).
 * keep_num_dims keeps the input's leading dims; a rank-4 result goes back out as NCHW.
 */
public final class FullyConnected implements OpLowering {
  @Override
  public Set<String> opNames() {
    return Set.of("FULLY_CONNECTED");
  }

  @Override
  public LoweredOp lower(LoweringContext ctx) {
    OpOptions.FullyConnected o = (OpOptions.FullyConnected) ctx.op().options();
    FusedActivation.check(ctx, o.activation());
    OpConstants.requireFloat(ctx, 0, 1, 2);
    long[] outShape = outShape(ctx, o);
    int inner = ctx.input(1).shape()[1];
    Supplier<Tensor> weight = ctx.isConstant(1) ? ctx.preparedLater(1, w -> w) : null;
    Supplier<Tensor> bias = ctx.isConstant(2) ? ctx.preparedLater(2, b -> b) : null;
    boolean runtimeBias = ctx.hasInput(2) && bias == null;
    Supplier<Tensor> fixedBias = bias;
    return inputs -> {
      Tensor x = inputs[0].tfTensor().reshape(-1, inner);
      Tensor wt = weight != null ? weight.get() : inputs[1].tfTensor();
      Tensor b = runtimeBias ? inputs[2].tfTensor() : fixedBias == null ? null : fixedBias.get();
      Tensor y = torch.linear(x, wt, b == null ? new TensorOptional() : new TensorOptional(b));
      y = FusedActivation.apply(y, o.activation()).reshape(outShape);
      return new PortValue[] {outShape.length == 4 ? PortValue.nchw(PortValue.toNchw(y)) : PortValue.tf(y)};
    };
  }

  /**
   * Checks the op's options and shapes (for the lowering and the code generation alike) and returns the output shape:
   * keep_num_dims keeps the input's leading dims, else [rows, out].
   */
  private static long[] outShape(OpView v, OpOptions.FullyConnected o) {
    if (o.activation() == dev.crossalign.tflite.Activation.TANH) {
      // TFLite's FULLY_CONNECTED Prepare refuses it too (fully_connected.cc: only NONE/RELU/RELU_N1_TO_1/RELU6)
      throw v.unsupported("fused activation TANH (the TFLite kernel refuses it as well)");
    }
    if (o.weightsFormat() != 0) {
      throw v.unsupported("shuffled weights format " + o.weightsFormat());
    }
    int[] in = v.input(0).shape();
    int[] ws = v.input(1).shape();
    if (ws.length != 2 || ws[1] <= 0) {
      throw v.unsupported("expects weights [out, in]");
    }
    int inner = ws[1];
    long numel = 1;
    for (int d : in) {
      numel *= d;
    }
    if (in.length == 0 || numel % inner != 0) {
      throw v.unsupported("input of " + numel + " elements does not flatten to rows of " + inner);
    }
    if (o.keepNumDims() && in[in.length - 1] != inner) {
      throw v.unsupported("keep_num_dims needs the last input dim " + in[in.length - 1] + " to equal " + inner);
    }
    if (!o.keepNumDims()) {
      return new long[] {numel / inner, ws[0]};
    }
    long[] out = new long[in.length];
    for (int i = 0; i < in.length - 1; i++) {
      out[i] = in[i];
    }
    out[in.length - 1] = ws[0];
    return out;
  }

  @Override
  public Set<String> pythonOps() {
    return opNames();
  }

  @Override
  public void emitPython(PyOp p) {
    OpOptions.FullyConnected o = (OpOptions.FullyConnected) p.op().options();
    FusedActivation.check(p, o.activation());
    OpConstants.requireFloat(p, 0, 1, 2);
    long[] outShape = outShape(p, o);
    int inner = p.inShape(1)[1];
    String w = p.tf(1);
    String b = p.hasInput(2) ? p.tf(2) : "None";
    String y = FusedActivation.py(p, "F.linear(" + p.tf(0) + ".reshape([-1, " + inner + "]), " + w + ", " + b + ")",
        o.activation(), true);
    Axes.emitFromTf(p, 0, y + ".reshape(" + Py.ints(outShape) + ")", outShape.length);
  }

  @Override
  public Set<String> onnxOps() {
    return opNames();
  }

  /** Reshape to [-1, in] in TFLite axes, Gemm with transB (weights [out, in]), Reshape to the output shape. */
  @Override
  public void exportOnnx(OnnxOp s) {
    OpOptions.FullyConnected o = s.options(OpOptions.FullyConnected.class);
    if (o.weightsFormat() != 0) {
      throw s.refuse("shuffled weights format " + o.weightsFormat());
    }
    int[] ws = s.inShape(1);
    if (ws.length != 2) {
      throw s.refuse("weights of rank " + ws.length);
    }
    int in = ws[1];
    int units = ws[0];
    String x2 = s.tmp("flat");
    s.node("Reshape", List.of(s.tf(0), s.i64(-1, in)), List.of(x2));
    String w = s.isConst(1) ? s.init(s.in(1).name(), s.constFloat(1)) : s.tf(1);
    List<String> ins = new ArrayList<>(List.of(x2, w));
    if (s.has(2)) {
      ins.add(s.tf(2));
    }
    int[] os = s.outShape(0);
    long rows = 1;
    for (int i = 0; i < os.length - 1; i++) {
      rows *= os[i];
    }
    boolean plain = os.length == 2 && os[1] == units;
    String target = plain ? s.out(0, true, o.activation()) : s.tmp("gemm");
    s.node("Gemm", ins, List.of(target), OnnxGraphBuilder.attrs().putInt("transB", 1));
    if (!plain) {
      long[] shape = new long[os.length];
      for (int i = 0; i < os.length; i++) {
        shape[i] = os[i];
      }
      if (rows * units != HostTensor.numel(os)) {
        throw s.refuse("output shape does not hold " + rows + " x " + units);
      }
      s.node("Reshape", List.of(target, s.i64(shape)), List.of(s.out(0, true, o.activation())));
    }
  }
}
